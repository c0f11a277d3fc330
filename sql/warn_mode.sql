-- README, "Protecting a table", mode 'warn': the row is written, a WARNING is raised and
-- the line is recorded in valuecheck.violations
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

INSERT INTO valuecheck.floors (product, campaign, min_price, max_discount) VALUES
    ('SKU-1', NULL,     90,   NULL),    -- 1
    ('SKU-1', 'SPRING', 70,   NULL),    -- 2
    ('DISC',  NULL,     NULL, 0.2),     -- 3
    ('O''Brien "Special"', NULL, 10, NULL);  -- 4

CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order Lines" (
    region     text,
    id         integer,
    sku        text,
    price      numeric,
    list_price numeric,
    campaign   text,
    rep        text,
    status     text
) PARTITION BY LIST (region);
CREATE TABLE "Sales"."Order Lines EU" PARTITION OF "Sales"."Order Lines" FOR VALUES IN ('EU');
CREATE TABLE "Sales".order_lines_us PARTITION OF "Sales"."Order Lines" FOR VALUES IN ('US');
SELECT valuecheck.protect('"Sales"."Order Lines"', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign', rep => 'rep',
                          mode => 'warn');
SELECT relation, mode, unknown_product FROM valuecheck.protected;

-- a line at or above its floor: no warning, no record
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 1, 'SKU-1', 90, NULL, NULL, 'ann');
-- below its floor: written, with a WARNING and a record
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 2, 'SKU-1', 80, 100, NULL, 'ann');
INSERT INTO "Sales"."Order Lines" VALUES ('US', 3, 'SKU-1', 65.50, 100, 'SPRING', 'bob');
INSERT INTO "Sales"."Order Lines" VALUES ('US', 4, 'DISC', 70, 100, 'SPRING', NULL);
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 5, 'O''Brien "Special"', 9.99, NULL, 'It''s "on"', 'd''Artagnan');
-- unpriceable lines
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 6, 'SKU-1', NULL, NULL, NULL, 'ann');
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 7, 'SKU-1', 'NaN', NULL, NULL, 'ann');
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 8, 'DISC', 50, NULL, NULL, 'ann');
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 9, 'DISC', 50, 'NaN', NULL, 'ann');
-- a product without a floor passes with 'allow'
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 10, 'NO-FLOOR', 1, NULL, NULL, 'ann');
SELECT tableoid::regclass AS part, region, id, sku, price, list_price, campaign, rep
  FROM "Sales"."Order Lines" ORDER BY id;
SELECT violation_id, relation, product, campaign, rep, price, floor, floor_id,
       logged_at <= now() AS logged_before_now, logged_by
  FROM valuecheck.violations ORDER BY violation_id;
-- the recorded relation names the partition, quoted as quote_ident would
SELECT DISTINCT relation,
       relation = quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS quoted_like_quote_ident
  FROM valuecheck.violations v
  JOIN pg_class c ON c.oid = v.relation::regclass
  JOIN pg_namespace n ON n.oid = c.relnamespace
 ORDER BY relation;

-- the warning carries the same text as the error of mode 'enforce'
INSERT INTO "Sales"."Order Lines" VALUES ('US', 11, 'SKU-1', 89, NULL, NULL, 'cy');
SELECT valuecheck.protect('"Sales"."Order Lines"', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign', rep => 'rep',
                          mode => 'enforce');
INSERT INTO "Sales"."Order Lines" VALUES ('US', 12, 'SKU-1', 89, NULL, NULL, 'cy');
SELECT valuecheck.protect('"Sales"."Order Lines"', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign', rep => 'rep',
                          mode => 'warn');

-- a multi-row INSERT and COPY: every line written, one record per bad line
INSERT INTO "Sales"."Order Lines" VALUES
    ('EU', 20, 'SKU-1', 91, NULL, NULL, 'ann'),
    ('EU', 21, 'SKU-1', 81, NULL, NULL, 'ann'),
    ('US', 22, 'SKU-1', 82, NULL, NULL, 'bob');
COPY "Sales"."Order Lines" (region, id, sku, price, rep) FROM stdin;
EU	23	SKU-1	83	ann
US	24	SKU-1	95	bob
\.
SELECT relation, product, price, floor, floor_id, rep FROM valuecheck.violations
 WHERE price BETWEEN 81 AND 91 ORDER BY violation_id;

-- an UPDATE that changes no mapped column is not recorded; one that does is
UPDATE "Sales"."Order Lines" SET status = 'shipped' WHERE id = 2;
UPDATE "Sales"."Order Lines" SET price = 79 WHERE id = 2;
-- a row moved to another partition is recorded there
UPDATE "Sales"."Order Lines" SET region = 'US' WHERE id = 21;
SELECT relation, product, price, floor FROM valuecheck.violations
 WHERE price IN (79, 81) ORDER BY violation_id;

-- a rolled-back line leaves no record
SELECT count(*) AS violations_before FROM valuecheck.violations;
BEGIN;
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 30, 'SKU-1', 1, NULL, NULL, 'ann');
SELECT count(*) AS violations_inside FROM valuecheck.violations;
ROLLBACK;
SELECT count(*) AS violations_after FROM valuecheck.violations;

-- unknown_product => 'reject' in warn mode: written, warned, recorded
SELECT valuecheck.protect('"Sales"."Order Lines"', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign', rep => 'rep',
                          mode => 'warn', unknown_product => 'reject');
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 31, 'NO-FLOOR', 5, NULL, 'XMAS', 'ann');
INSERT INTO "Sales"."Order Lines" VALUES ('EU', 32, NULL, 5, NULL, NULL, 'ann');
SELECT relation, product, campaign, rep, price, floor, floor_id FROM valuecheck.violations
 WHERE price = 5 ORDER BY violation_id;

-- a plain table in warn mode, written by a role that may insert orders and
-- nothing else: its line is recorded in its name, though it may not write
-- valuecheck.violations itself
CREATE TABLE plain_orders (sku text, price numeric, rep text);
SELECT valuecheck.protect('plain_orders', product => 'sku', price => 'price', rep => 'rep',
                          mode => 'warn');
CREATE ROLE regress_vc_warn_rep;
GRANT INSERT, SELECT ON plain_orders TO regress_vc_warn_rep;
BEGIN;
SET LOCAL ROLE regress_vc_warn_rep;
INSERT INTO plain_orders VALUES ('SKU-1', 42, current_user);
RESET ROLE;
-- logged at the time of the write: the transaction's now()
SELECT logged_at = now() AS logged_now FROM valuecheck.violations WHERE price = 42;
COMMIT;
SET ROLE regress_vc_warn_rep;
INSERT INTO valuecheck.violations (relation, product) VALUES ('x', 'y');
UPDATE valuecheck.violations SET price = 0;
DELETE FROM valuecheck.violations;
SELECT count(*) FROM valuecheck.violations;
RESET ROLE;
SELECT relation, product, rep, price, floor, floor_id, logged_by
  FROM valuecheck.violations WHERE price = 42;
SELECT * FROM plain_orders;
SELECT has_table_privilege('public', 'valuecheck.violations', 'SELECT') AS public_select,
       has_table_privilege('public', 'valuecheck.violations', 'INSERT') AS public_insert;

-- the identity column and defaults of valuecheck.violations
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attidentity
  FROM pg_attribute a
 WHERE a.attrelid = 'valuecheck.violations'::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum;

DROP TABLE plain_orders;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM regress_vc_warn_rep;
DROP ROLE regress_vc_warn_rep;
DROP TABLE "Sales"."Order Lines";
DROP SCHEMA "Sales";
