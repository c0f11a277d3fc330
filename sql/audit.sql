-- README, "Leakage report and audit": valuecheck.audit(rel) lists the rows
-- of a protected table that are below the floor in force at their own
-- ordered_at (README, "Value floors"), with the floor, its id, and whether
-- a named approval covers them.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE SCHEMA aud;

INSERT INTO valuecheck.floors (product, campaign, currency, min_price, max_discount, valid) VALUES
    ('P', NULL,   NULL,  100,  NULL, '[-infinity,2026-03-01 00:00:00+00)'),  -- 1
    ('P', NULL,   NULL,  120,  NULL, '[2026-03-01 00:00:00+00,infinity)'),   -- 2: raised in March
    ('P', 'SALE', NULL,  80,   NULL, '[-infinity,infinity)'),                -- 3
    ('P', NULL,   'EUR', 105,  NULL, '[-infinity,infinity)'),                -- 4
    ('Q', NULL,   NULL,  NULL, 0.2,  '[-infinity,infinity)'),                -- 5: max_discount only
    ('R', NULL,   NULL,  50,   0.1,  '[-infinity,infinity)');                -- 6: both bounds

-- Approvals (all for 'P' unless said otherwise)
SELECT valuecheck.approve('P', 90, 'valid, any campaign and rep');          -- 1
SELECT valuecheck.approve('P', 90, 'to be revoked');                        -- 2
SELECT valuecheck.approve('R', 10, 'another product');                      -- 3
SELECT valuecheck.approve('P', 99, 'min_price above the line''s price');    -- 4
SELECT valuecheck.approve('P', 90, 'to expire');                            -- 5
SELECT valuecheck.approve('P', 90, 'to be used up', max_uses => 1);         -- 6
SELECT valuecheck.approve('P', 70, 'SALE campaign only', campaign => 'SALE'); -- 7
SELECT valuecheck.approve('P', 90, 'ann only', rep => 'ann');               -- 8
SELECT valuecheck.revoke_approval(2);
UPDATE valuecheck.approvals SET expires_at = '2001-01-01 00:00:00+00' WHERE approval_id = 5;
UPDATE valuecheck.approvals SET uses = max_uses WHERE approval_id = 6;
SELECT approval_id, product, campaign, rep, min_price, max_uses, uses,
       expires_at < now() AS expired, revoked_at IS NOT NULL AS revoked
  FROM valuecheck.approvals ORDER BY approval_id;

-- ---------------------------------------------------------------------
-- Lines loaded with checking off; ids say what each is
-- ---------------------------------------------------------------------
CREATE TABLE aud.orders (
    id       int,
    sku      text,
    price    numeric,
    list     numeric,
    campaign text,
    rep      text,
    cur      text,
    at       timestamptz,
    appr     text
);
SET valuecheck.enabled = off;
INSERT INTO aud.orders VALUES
    ( 1, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- below 100
    ( 2, 'P', 100,  130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- at its floor
    ( 3, 'P', 110,  130,  NULL,    'cy',  NULL,  '2026-04-01 00:00:00+00', NULL),   -- below 120 (raised)
    ( 4, 'P', 110,  130,  NULL,    'cy',  NULL,  '2026-02-28 23:59:59+00', NULL),   -- old floor 100: fine
    ( 5, 'P', NULL, 130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- NULL price: not below
    ( 6, 'Q', 10,   NULL, NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- unpriceable
    ( 7, 'Q', 70,   100,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- below 80
    ( 8, 'R', 85,   100,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- below 90 (> 50)
    ( 9, 'R', 45,   NULL, NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- below 50 (no list)
    (10, 'R', 90,   100,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- at its floor
    (11, 'P', 102,  130,  NULL,    'cy',  'EUR', '2026-01-10 00:00:00+00', NULL),   -- below 105 (EUR)
    (12, 'P', 102,  130,  NULL,    'cy',  'USD', '2026-01-10 00:00:00+00', NULL),   -- fine (100)
    (13, 'P', 110,  130,  NULL,    'cy',  NULL,  NULL,                     NULL),   -- now(): below 120
    (14, 'Z', 1,    130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', NULL),   -- no floor
    (15, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '1'),    -- approved
    (16, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '2'),    -- revoked
    (17, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '3'),    -- other product
    (18, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '4'),    -- min_price 99 > 95
    (19, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '5'),    -- expired: still approved
    (20, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '6'),    -- used up: still approved
    (21, 'P', 75,   130,  'SALE',  'cy',  NULL,  '2026-01-10 00:00:00+00', '7'),    -- below 80, SALE: approved
    (22, 'P', 95,   130,  'OTHER', 'cy',  NULL,  '2026-01-10 00:00:00+00', '7'),    -- campaign differs
    (23, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '7'),    -- no campaign
    (24, 'P', 95,   130,  NULL,    'ann', NULL,  '2026-01-10 00:00:00+00', '8'),    -- ann: approved
    (25, 'P', 95,   130,  NULL,    'bob', NULL,  '2026-01-10 00:00:00+00', '8'),    -- bob: not
    (26, 'P', 95,   130,  NULL,    NULL,  NULL,  '2026-01-10 00:00:00+00', '8'),    -- no rep: not
    (27, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', 'abc'),  -- not an id
    (28, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', ''),     -- not an id
    (29, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '99999999999999999999'), -- not a bigint
    (30, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '999'),  -- no such approval
    (31, 'P', 95,   130,  NULL,    'cy',  NULL,  '2026-04-01 00:00:00+00', '1'),    -- below 120, approved (90)
    (32, 'P', 85,   130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '1'),    -- below approval's 90
    (33, 'P', 100,  130,  NULL,    'cy',  NULL,  '2026-01-10 00:00:00+00', '1');    -- at floor: not listed
RESET valuecheck.enabled;
SELECT valuecheck.protect('aud.orders', product => 'sku', price => 'price',
                          list_price => 'list', campaign => 'campaign', rep => 'rep',
                          currency => 'cur', ordered_at => 'at', approval => 'appr');

-- what the audit lists, each row named by the id found at its row_id
SELECT o.id, a.relation, a.product, a.campaign, a.rep, a.price, a.floor,
       a.floor_id, a.approval_id, a.approved
  FROM valuecheck.audit('aud.orders') a
  LEFT JOIN aud.orders o ON o.ctid = a.row_id
 ORDER BY o.id;
-- row_id is the ctid of the row (rows inserted in order into a fresh
-- table); rows not listed have none
SELECT o.id, o.ctid, a.row_id
  FROM aud.orders o LEFT JOIN valuecheck.audit('aud.orders') a ON a.row_id = o.ctid
 WHERE o.id IN (1, 2, 3, 32, 33)
 ORDER BY o.id;
-- row_key: aud.orders has no primary key, so its ctid (as text)
SELECT o.id, a.row_key
  FROM aud.orders o JOIN valuecheck.audit('aud.orders') a ON a.row_id = o.ctid
 WHERE o.id IN (1, 3, 32)
 ORDER BY o.id;
-- with a primary key, row_key holds its columns' text forms, and row_id
-- stays the ctid
CREATE TABLE aud.keyed (region text, n int, sku text, price numeric,
                        PRIMARY KEY (region, n));
INSERT INTO aud.keyed VALUES ('north', 1, 'P', 95), ('so"uth', 2, 'P', 90),
                             ('north', 3, 'P', 130);
SELECT valuecheck.protect('aud.keyed', product => 'sku', price => 'price');
SELECT a.row_key, a.row_id, a.price,
       (SELECT count(*) FROM aud.keyed k
         WHERE k.region = a.row_key->>'region' AND k.n = (a.row_key->>'n')::int
           AND k.ctid = a.row_id) AS found
  FROM valuecheck.audit('aud.keyed') a;

-- ---------------------------------------------------------------------
-- The reference in plain SQL: the floor resolution of the README ("Value floors") (product;
-- valid at the line's ordered_at, or now(); campaign match first, then
-- currency match; the winner alone decides; the higher of min_price and
-- list * (1 - max_discount), min_price where list is NULL), the README's
-- approval rule, compared row by row
-- ---------------------------------------------------------------------
CREATE FUNCTION aud.ref_audit(rel regclass, at_column name)
RETURNS TABLE (relation regclass, row_id tid, product text, campaign text, rep text,
               price numeric, floor numeric, floor_id bigint, approval_id bigint,
               approved boolean)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    SELECT l.relation, l.row_id, l.product, l.campaign, l.rep, l.price,
           f.floor, f.floor_id, l.approval_id,
           EXISTS (SELECT 1 FROM valuecheck.approvals a
                    WHERE a.approval_id = l.approval_id
                      AND a.revoked_at IS NULL
                      AND a.product = l.product
                      AND (a.campaign IS NULL OR a.campaign = l.campaign)
                      AND (a.rep IS NULL OR a.rep = l.rep)
                      AND a.min_price <= l.price)
      FROM (SELECT t.tableoid::regclass AS relation, t.ctid AS row_id,
                   t.sku::text AS product, t.campaign::text AS campaign,
                   t.rep::text AS rep, t.price::numeric AS price,
                   t.list::numeric AS list, t.cur::text AS cur,
                   COALESCE(t.%I::timestamptz, now()) AS at,
                   CASE WHEN t.appr::text ~ '^[0-9]{1,18}$'
                        THEN t.appr::text::bigint END AS approval_id
              FROM %s t) l
      CROSS JOIN LATERAL (
            SELECT fl.floor_id,
                   CASE WHEN fl.max_discount IS NULL THEN fl.min_price
                        WHEN l.list IS NULL THEN fl.min_price
                        ELSE GREATEST(fl.min_price, l.list * (1 - fl.max_discount)) END AS floor
              FROM valuecheck.floors fl
             WHERE fl.product = l.product AND fl.valid @> l.at
               AND (fl.campaign IS NULL OR fl.campaign = l.campaign)
               AND (fl.currency IS NULL OR fl.currency = l.cur)
             ORDER BY fl.campaign IS NULL, fl.currency IS NULL
             LIMIT 1) f
     WHERE l.price < f.floor $q$, at_column, rel);
END
$$;
CREATE FUNCTION aud.compare(rel regclass, at_column name)
RETURNS TABLE (audit_rows bigint, reference_rows bigint, mismatches bigint)
LANGUAGE sql AS $$
    WITH a AS (SELECT * FROM valuecheck.audit(rel)),
         r AS (SELECT * FROM aud.ref_audit(rel, at_column))
    SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM r),
           (SELECT count(*) FROM (SELECT relation::oid, row_id::text, product, campaign, rep,
                                         price::text, floor, floor_id, approval_id, approved FROM a
                                  EXCEPT ALL
                                  SELECT relation::oid, row_id::text, product, campaign, rep,
                                         price::text, floor, floor_id, approval_id, approved FROM r) x)
         + (SELECT count(*) FROM (SELECT relation::oid, row_id::text, product, campaign, rep,
                                         price::text, floor, floor_id, approval_id, approved FROM r
                                  EXCEPT ALL
                                  SELECT relation::oid, row_id::text, product, campaign, rep,
                                         price::text, floor, floor_id, approval_id, approved FROM a) y)
$$;
SELECT * FROM aud.compare('aud.orders', 'at');
-- the floor of each listed row is the one floor_for() gives at its time
SELECT count(*) AS floor_for_differs
  FROM valuecheck.audit('aud.orders') a JOIN aud.orders o ON o.ctid = a.row_id
 WHERE a.floor IS DISTINCT FROM
       valuecheck.floor_for(o.sku, COALESCE(o.at, now()), o.campaign, o.cur, o.list);
-- the comparison can fail: the reference saved, then the January floor
-- of 'P' lowered to 95 (rows at 95 drop out, row 32's floor changes)
CREATE TEMP TABLE saved_ref AS SELECT * FROM aud.ref_audit('aud.orders', 'at');
BEGIN;
UPDATE valuecheck.floors SET min_price = 95 WHERE floor_id = 1;
SELECT (SELECT count(*) FROM (SELECT row_id::text, floor FROM saved_ref
                              EXCEPT ALL
                              SELECT row_id::text, floor FROM valuecheck.audit('aud.orders')) x)
           AS saved_rows_differing,
       (SELECT count(*) FROM valuecheck.audit('aud.orders')) AS rows_listed_now;
ROLLBACK;
DROP TABLE saved_ref;

-- a revoked approval, and one restored to use (expiry and uses are not
-- the audit's business): approved follows revoked_at
BEGIN;
UPDATE valuecheck.approvals SET revoked_at = NULL, revoked_by = NULL WHERE approval_id = 2;
UPDATE valuecheck.approvals SET revoked_at = now() WHERE approval_id = 1;
SELECT o.id, a.approval_id, a.approved
  FROM valuecheck.audit('aud.orders') a JOIN aud.orders o ON o.ctid = a.row_id
 WHERE o.id IN (15, 16, 31, 32) ORDER BY o.id;
SELECT * FROM aud.compare('aud.orders', 'at');
ROLLBACK;

-- without an ordered_at mapping every floor is taken at now(): line 4
-- (110, ordered in February) is now below 120, and so are the others
SELECT valuecheck.protect('aud.orders', product => 'sku', price => 'price',
                          list_price => 'list', campaign => 'campaign', rep => 'rep',
                          currency => 'cur', approval => 'appr');
SELECT count(*) AS listed, bool_or(o.id = 4) AS line_4_listed, min(a.floor) AS lowest_floor_of_p
  FROM valuecheck.audit('aud.orders') a JOIN aud.orders o ON o.ctid = a.row_id
 WHERE a.product = 'P' AND a.campaign IS NULL AND o.cur IS NULL;
-- without list price or approval mappings: 'Q' lines cannot be priced
-- (not listed), 'R' lines are held to min_price, no approval is named
SELECT valuecheck.protect('aud.orders', product => 'sku', price => 'price',
                          campaign => 'campaign', rep => 'rep',
                          currency => 'cur', ordered_at => 'at');
SELECT o.id, a.product, a.price, a.floor, a.floor_id, a.approval_id, a.approved
  FROM valuecheck.audit('aud.orders') a JOIN aud.orders o ON o.ctid = a.row_id
 WHERE a.product IN ('Q', 'R') OR o.id IN (15, 21)
 ORDER BY o.id;

-- ---------------------------------------------------------------------
-- A partitioned table: relation names the partition; a bigint approval
-- column; a date ordered_at
-- ---------------------------------------------------------------------
-- (campaign, rep and cur are not mapped and stay NULL; they are here for
-- the reference query)
CREATE TABLE aud.parted (region text, id int, sku text, price numeric, list numeric,
                         day date, appr bigint, campaign text, rep text, cur text)
    PARTITION BY LIST (region);
CREATE TABLE aud."parted North" PARTITION OF aud.parted FOR VALUES IN ('north');
CREATE TABLE aud.parted_south PARTITION OF aud.parted FOR VALUES IN ('south');
SELECT valuecheck.protect('aud.parted', product => 'sku', price => 'price',
                          list_price => 'list', ordered_at => 'day', approval => 'appr');
SET valuecheck.enabled = off;
INSERT INTO aud.parted VALUES
    ('north', 1, 'P', 95,  130, '2026-01-10', NULL),   -- below 100
    ('south', 2, 'P', 110, 130, '2026-03-10', NULL),   -- below 120
    ('north', 3, 'P', 110, 130, '2026-02-10', NULL),   -- fine (100)
    ('south', 4, 'P', 95,  130, '2026-01-10', 1),      -- approved
    ('south', 5, 'P', 95,  130, '2026-01-10', 2),      -- revoked
    ('north', 6, 'Q', 70,  100, '2026-01-10', 999),    -- below 80; no such approval
    ('north', 7, 'R', 95,  100, NULL,         NULL);   -- fine (90 now)
RESET valuecheck.enabled;
SELECT a.relation, o.id, a.row_id, a.row_key, a.product, a.price,
       a.floor, a.floor_id, a.approval_id, a.approved
  FROM valuecheck.audit('aud.parted') a
  JOIN aud.parted o ON o.tableoid = a.relation AND o.ctid = a.row_id
 ORDER BY o.id;
SELECT * FROM aud.compare('aud.parted', 'day');

-- ---------------------------------------------------------------------
-- Errors
-- ---------------------------------------------------------------------
CREATE TABLE aud.plain (sku text, price numeric);
SELECT * FROM valuecheck.audit('aud.plain');
SELECT * FROM valuecheck.audit(NULL);
SELECT valuecheck.protect('aud.plain', product => 'sku', price => 'price');
SELECT count(*) AS listed FROM valuecheck.audit('aud.plain');
SELECT valuecheck.unprotect('aud.plain');
SELECT * FROM valuecheck.audit('aud.plain');

-- ---------------------------------------------------------------------
-- Clean up
-- ---------------------------------------------------------------------
SET client_min_messages = warning;
DROP SCHEMA aud CASCADE;
RESET client_min_messages;
DELETE FROM valuecheck.approvals;
DELETE FROM valuecheck.floors;
