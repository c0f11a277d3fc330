-- README, "Leakage report and audit": valuecheck.leakage_report(rel, since, until), checked
-- against the same report computed in plain SQL (built-in aggregates,
-- GROUP BY ROLLUP), and README, "Value floors": each line's floor is taken at its
-- own ordered_at (now() where it is NULL or not mapped).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
SET extra_float_digits = 0;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE SCHEMA rpt;

-- ---------------------------------------------------------------------
-- Floors of several kinds.  'A' changes over time (two validity ranges)
-- and has a lower campaign-specific floor; 'B' is a max_discount floor with
-- a currency-specific floor that has both bounds; 'C' has an odd scale and
-- a campaign-specific max_discount floor; 'E' has a floor only from March;
-- 'D' has none.
-- ---------------------------------------------------------------------
INSERT INTO valuecheck.floors (product, campaign, currency, min_price, max_discount, valid) VALUES
    ('A', NULL,     NULL,  50,     NULL, '[-infinity,2026-02-15 00:00:00+00)'),
    ('A', NULL,     NULL,  65.5,   NULL, '[2026-02-15 00:00:00+00,infinity)'),
    ('A', 'PROMO',  NULL,  40,     NULL, '[-infinity,infinity)'),
    ('B', NULL,     NULL,  NULL,   0.25, '[-infinity,infinity)'),
    ('B', NULL,     'EUR', 70,     0.1,  '[-infinity,infinity)'),
    ('C', NULL,     NULL,  55.125, NULL, '[-infinity,infinity)'),
    ('C', 'SPRING', NULL,  NULL,   0.3,  '[-infinity,infinity)'),
    ('E', NULL,     NULL,  NULL,   0.2,  '[2026-03-01 00:00:00+00,infinity)');

-- ---------------------------------------------------------------------
-- A few hundred generated lines (deterministic arithmetic, not random(),
-- so the data are the same on every server version): reps incl. NULL,
-- campaigns incl. NULL, currencies, prices and list prices of scales 0 to
-- 4, some NULL; quantities incl. negative, fractional and NULL; ordered_at
-- from January to April 2026, some NULL; some lines above list price.
-- ---------------------------------------------------------------------
CREATE TABLE rpt.lines (
    id         int PRIMARY KEY,
    product    text,
    rep        text,
    campaign   text,
    currency   text,
    price      numeric,
    list_price numeric,
    qty        numeric,
    ordered_at timestamptz
);
INSERT INTO rpt.lines
SELECT g,
       (ARRAY['A','B','C','D','E'])[1 + g % 5],
       CASE WHEN g % 7 = 0 THEN NULL ELSE (ARRAY['ann','bob','cy','dee'])[1 + (g * 3 / 7) % 4] END,
       (ARRAY[NULL,'PROMO','SPRING','X'])[1 + (g / 3) % 4],
       CASE g % 6 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' END,
       CASE WHEN g % 31 = 0 THEN NULL
            WHEN g % 23 = 0 THEN round(lp * 1.05, 2)
            ELSE round(lp * (1 - ((g * 17) % 45) / 100.0), (g * 3) % 5) END,
       CASE WHEN g % 29 = 0 THEN NULL ELSE round(lp, g % 4) END,
       CASE WHEN g % 37 = 0 THEN NULL
            WHEN g % 19 = 0 THEN -(g % 3 + 1)
            WHEN g % 41 = 0 THEN 1.5
            ELSE g % 9 + 1 END,
       CASE WHEN g % 17 = 0 THEN NULL
            ELSE '2026-01-01 00:00:00+00'::timestamptz
                 + (g * 5 % 120) * interval '1 day' + (g % 24) * interval '1 hour' END
  FROM (SELECT g, 50 + (g * 37 % 113) + (g * 13 % 100) / 100.0 + (g % 7) / 1000.0 AS lp
          FROM generate_series(1, 400) g) s;
-- a rep whose list revenue is 0 (discount_rate NULL, no max_discount_rate),
-- and a rep whose lines all lack a price (a group with NULL summary fields)
INSERT INTO rpt.lines VALUES
    (401, 'A', 'zero',  NULL,  NULL, 0,    0,    3,    '2026-01-10 00:00:00+00'),
    (402, 'D', 'zero',  'X',   NULL, 5,    0,    1,    '2026-01-11 00:00:00+00'),
    (403, 'A', 'nulls', 'X',   NULL, NULL, 100,  1,    '2026-01-12 00:00:00+00'),
    (404, 'B', 'nulls', 'X',   NULL, 10,   NULL, 1,    '2026-01-13 00:00:00+00');
SELECT valuecheck.protect('rpt.lines', product => 'product', price => 'price',
                          list_price => 'list_price', quantity => 'qty',
                          campaign => 'campaign', rep => 'rep', currency => 'currency',
                          ordered_at => 'ordered_at', mode => 'warn');

-- what the data hold
SELECT count(*) AS lines,
       count(DISTINCT rep) AS reps, count(*) FILTER (WHERE rep IS NULL) AS null_rep,
       count(DISTINCT campaign) AS campaigns, count(*) FILTER (WHERE campaign IS NULL) AS null_campaign,
       count(*) FILTER (WHERE price IS NULL) AS null_price,
       count(*) FILTER (WHERE list_price IS NULL) AS null_list,
       count(*) FILTER (WHERE qty IS NULL) AS null_qty,
       count(*) FILTER (WHERE qty < 0) AS negative_qty,
       count(*) FILTER (WHERE ordered_at IS NULL) AS null_ordered_at,
       count(DISTINCT scale(price)) AS price_scales,
       count(*) FILTER (WHERE price > list_price) AS above_list,
       count(*) FILTER (WHERE price < valuecheck.floor_for(product, COALESCE(ordered_at, now()),
                                                          campaign, currency, list_price)) AS below_floor,
       count(*) FILTER (WHERE product = 'A' AND campaign IS DISTINCT FROM 'PROMO'
                          AND price >= 50 AND price < 65.5) AS a_between_floors
  FROM rpt.lines;

-- ---------------------------------------------------------------------
-- The reference: the README's definitions ("Discount leakage aggregates") in plain SQL over rpt.lines.  The
-- aggregated lines are those with list price, price and quantity all
-- non-NULL (as valuecheck.leakage counts them); a group with none of them
-- has NULL summary fields (as leakage() over only NULL-input rows).  The
-- window: every line when both bounds are unbounded (default or NULL),
-- else since <= ordered_at < until with a NULL bound unbounded.  floor_at
-- is the time each line's floor is taken at.
-- ---------------------------------------------------------------------
CREATE FUNCTION rpt.ref_report(since timestamptz, until timestamptz,
                               floor_at text DEFAULT 'COALESCE(ordered_at, now())')
RETURNS TABLE (rep text, campaign text, lines bigint, units numeric,
               list_revenue numeric, net_revenue numeric, discount numeric,
               discount_rate numeric, discounted_lines bigint,
               max_discount_rate numeric, below_floor_lines bigint,
               floor_leakage numeric, level text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH l AS (
        SELECT rep, campaign, list_price AS l, price AS p, qty AS q,
               valuecheck.floor_for(product, %s, campaign, currency, list_price) AS f,
               list_price IS NOT NULL AND price IS NOT NULL AND qty IS NOT NULL AS ok
          FROM rpt.lines
         WHERE (($1 IS NULL OR $1 = '-infinity') AND ($2 IS NULL OR $2 = 'infinity'))
            OR (ordered_at IS NOT NULL
                AND ($1 IS NULL OR ordered_at >= $1)
                AND ($2 IS NULL OR ordered_at < $2))),
    s AS (
        SELECT rep, campaign,
               count(*) FILTER (WHERE ok) AS n,
               sum(q) FILTER (WHERE ok) AS u,
               sum(l * q) FILTER (WHERE ok) AS lr,
               sum(p * q) FILTER (WHERE ok) AS nr,
               count(*) FILTER (WHERE ok AND p < l) AS dl,
               max(CASE WHEN l > 0 THEN (l - p) / l END) FILTER (WHERE ok) AS mdr,
               count(*) FILTER (WHERE ok AND p < f) AS bl,
               COALESCE(sum((f - p) * q) FILTER (WHERE ok AND p < f), 0) AS fl,
               GROUPING(rep, campaign) AS g
          FROM l
         GROUP BY ROLLUP (rep, campaign))
    SELECT rep, campaign,
           CASE WHEN n > 0 THEN n END, u, lr, nr, lr - nr,
           CASE WHEN lr <> 0 THEN (lr - nr) / lr END,
           CASE WHEN n > 0 THEN dl END, mdr,
           CASE WHEN n > 0 THEN bl END,
           CASE WHEN n > 0 THEN fl END,
           CASE g WHEN 0 THEN 'rep, campaign' WHEN 1 THEN 'rep' ELSE 'total' END
      FROM s $q$, floor_at) USING since, until;
END
$$;

-- Report rows vs reference rows, as multisets (rows are matched on every
-- field, the level included, not on their position): sums and counts
-- compared as numbers, discount_rate digit for digit, max_discount_rate as
-- a number.
CREATE FUNCTION rpt.compare(call text, since timestamptz, until timestamptz,
                            floor_at text DEFAULT 'COALESCE(ordered_at, now())')
RETURNS TABLE (report_rows bigint, reference_rows bigint, mismatches bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH r AS (SELECT rep, campaign, lines, units, list_revenue, net_revenue, discount,
                      discount_rate::text AS discount_rate, discounted_lines,
                      max_discount_rate, below_floor_lines, floor_leakage, level
                 FROM %s),
         f AS (SELECT rep, campaign, lines, units, list_revenue, net_revenue, discount,
                      discount_rate::text AS discount_rate, discounted_lines,
                      max_discount_rate, below_floor_lines, floor_leakage, level
                 FROM rpt.ref_report($1, $2, %L))
    SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM f),
           (SELECT count(*) FROM (TABLE r EXCEPT ALL TABLE f) x)
         + (SELECT count(*) FROM (TABLE f EXCEPT ALL TABLE r) y) $q$, call, floor_at)
    USING since, until;
END
$$;

-- ---------------------------------------------------------------------
-- Every row and every field against the reference
-- ---------------------------------------------------------------------
SELECT 'defaults' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'')', NULL, NULL);
SELECT 'NULL, NULL' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', NULL, NULL)', NULL, NULL);
SELECT '-infinity, infinity' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', ''-infinity'', ''infinity'')', '-infinity', 'infinity');
SELECT 'Feb 1 .. Mar 15' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', ''2026-02-01 00:00:00+00'', ''2026-03-15 00:00:00+00'')', '2026-02-01 00:00:00+00', '2026-03-15 00:00:00+00');
SELECT 'NULL .. Feb 15' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', NULL, ''2026-02-15 00:00:00+00'')', NULL, '2026-02-15 00:00:00+00');
SELECT 'Feb 15 .. NULL' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', ''2026-02-15 00:00:00+00'', NULL)', '2026-02-15 00:00:00+00', NULL);
SELECT 'Feb 15 .. infinity' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', ''2026-02-15 00:00:00+00'', ''infinity'')', '2026-02-15 00:00:00+00', 'infinity');
SELECT 'named since' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', since => ''2026-03-01 00:00:00+00'')', '2026-03-01 00:00:00+00', NULL);
SELECT 'named until' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', until => ''2026-03-01 00:00:00+00'')', NULL, '2026-03-01 00:00:00+00');
-- the same with parallel workers wherever the planner can use them
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT 'parallel, defaults' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'')', NULL, NULL);
SELECT 'parallel, Feb 1 .. Mar 15' AS bounds, * FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'', ''2026-02-01 00:00:00+00'', ''2026-03-15 00:00:00+00'')', '2026-02-01 00:00:00+00', '2026-03-15 00:00:00+00');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- the comparison can fail: floors taken at now() instead of at each
-- line's ordered_at give a different report ('A' and 'E' floors changed)
SELECT 'floors at now()' AS reference, mismatches > 0 AS differs
  FROM rpt.compare('valuecheck.leakage_report(''rpt.lines'')', NULL, NULL, 'now()');
-- ... and so does one changed floor: the reference saved, then the
-- general floor of 'C' lowered by 0.005
CREATE TEMP TABLE saved_ref AS SELECT * FROM rpt.ref_report(NULL, NULL);
BEGIN;
UPDATE valuecheck.floors SET min_price = 55.12 WHERE product = 'C' AND campaign IS NULL;
SELECT count(*) AS rows_differing_after_floor_change
  FROM (SELECT * FROM valuecheck.leakage_report('rpt.lines')
        EXCEPT ALL SELECT * FROM saved_ref) d;
ROLLBACK;
SELECT count(*) AS rows_differing_after_rollback
  FROM (SELECT * FROM valuecheck.leakage_report('rpt.lines')
        EXCEPT ALL SELECT * FROM saved_ref) d;
DROP TABLE saved_ref;

-- the grand total, and the shape of the rollup: one row per (rep,
-- campaign) group, one subtotal per rep, one grand total
SELECT lines, units, list_revenue, net_revenue, discount, discount_rate,
       discounted_lines, max_discount_rate, below_floor_lines, floor_leakage
  FROM valuecheck.leakage_report('rpt.lines') r
 WHERE rep IS NULL AND campaign IS NULL
   AND lines = (SELECT count(*) FROM rpt.lines
                 WHERE price IS NOT NULL AND list_price IS NOT NULL AND qty IS NOT NULL);
SELECT (SELECT count(*) FROM valuecheck.leakage_report('rpt.lines')) AS report_rows,
       (SELECT count(*) FROM (SELECT DISTINCT rep, campaign FROM rpt.lines) g)
     + (SELECT count(DISTINCT COALESCE(rep, '<null>')) FROM rpt.lines) + 1 AS groups_subtotals_total;
-- the level tells the rows apart: a NULL campaign is "sold outside any
-- campaign" at level 'rep, campaign' and "every campaign" at level 'rep';
-- a NULL rep is "no rep" at the first two levels and the total only at
-- level 'total'
SELECT level, count(*) AS report_rows,
       count(*) FILTER (WHERE campaign IS NULL) AS campaign_null,
       count(*) FILTER (WHERE rep IS NULL) AS rep_null
  FROM valuecheck.leakage_report('rpt.lines') GROUP BY level ORDER BY level;
SELECT (SELECT sum(lines) FROM valuecheck.leakage_report('rpt.lines')
         WHERE level = 'rep, campaign' AND campaign IS NULL) AS no_campaign_lines,
       (SELECT count(*) FROM rpt.lines
         WHERE campaign IS NULL AND price IS NOT NULL AND list_price IS NOT NULL
           AND qty IS NOT NULL) AS expected;
-- the 'zero' rep (list revenue 0) and the 'nulls' rep (no line with all inputs)
SELECT * FROM valuecheck.leakage_report('rpt.lines') WHERE rep IN ('zero', 'nulls');

-- ---------------------------------------------------------------------
-- since / until, line by line: quantity 2^(n-1) on line n, so the units
-- of the grand total name the lines that counted
-- ---------------------------------------------------------------------
CREATE TABLE rpt.win (n int, sku text, rep text, price numeric, list_price numeric,
                      qty numeric, at timestamptz);
INSERT INTO rpt.win VALUES
    (1, 'W', 'r', 9, 10, 1,   NULL),
    (2, 'W', 'r', 9, 10, 2,   '2026-01-31 23:59:59.999999+00'),
    (3, 'W', 'r', 9, 10, 4,   '2026-02-01 00:00:00+00'),         -- = since
    (4, 'W', 'r', 9, 10, 8,   '2026-02-15 12:00:00+00'),
    (5, 'W', 'r', 9, 10, 16,  '2026-02-28 23:59:59.999999+00'),
    (6, 'W', 'r', 9, 10, 32,  '2026-03-01 00:00:00+00'),         -- = until
    (7, 'W', 'r', 9, 10, 64,  '-infinity'),
    (8, 'W', 'r', 9, 10, 128, 'infinity');
SELECT valuecheck.protect('rpt.win', product => 'sku', price => 'price',
                          list_price => 'list_price', quantity => 'qty',
                          rep => 'rep', ordered_at => 'at');
CREATE FUNCTION rpt.window_units(since timestamptz, until timestamptz, defaults boolean DEFAULT false)
RETURNS TABLE (report_rows bigint, lines bigint, units numeric)
LANGUAGE plpgsql AS $$
BEGIN
    IF defaults THEN
        RETURN QUERY SELECT count(*), max(r.lines) FILTER (WHERE r.rep IS NULL),
                            max(r.units) FILTER (WHERE r.rep IS NULL)
                       FROM valuecheck.leakage_report('rpt.win') r;
    ELSE
        RETURN QUERY SELECT count(*), max(r.lines) FILTER (WHERE r.rep IS NULL),
                            max(r.units) FILTER (WHERE r.rep IS NULL)
                       FROM valuecheck.leakage_report('rpt.win', since, until) r;
    END IF;
END
$$;
SELECT 'defaults' AS bounds, r.* FROM rpt.window_units(NULL, NULL, true) r;
SELECT b.*, r.*
  FROM (VALUES ('NULL', 'NULL'),
               ('-infinity', 'infinity'),
               ('2026-02-01 00:00:00+00', '2026-03-01 00:00:00+00'),
               ('2026-02-01 01:00:00+01', '2026-03-01 01:00:00+01'),   -- the same instants
               ('2026-02-01 00:00:00.000001+00', '2026-02-28 23:59:59.999999+00'),
               ('NULL', '2026-02-01 00:00:00+00'),
               ('-infinity', '2026-02-01 00:00:00+00'),
               ('2026-02-01 00:00:00+00', 'NULL'),
               ('2026-02-01 00:00:00+00', 'infinity'),
               ('-infinity', 'NULL'),
               ('NULL', 'infinity'),
               ('2026-02-01 00:00:00+00', '2026-02-01 00:00:00+00'),
               ('2026-03-01 00:00:00+00', '2026-02-01 00:00:00+00')) AS b(since, until),
       LATERAL rpt.window_units(NULLIF(b.since, 'NULL')::timestamptz,
                                NULLIF(b.until, 'NULL')::timestamptz) r
 ORDER BY b.since, b.until;
-- the bounds are instants, whatever the session's DateStyle and time zone
-- (a zone whose abbreviation, IST, reads back as another zone's)
SET timezone = 'Asia/Kolkata';
SET datestyle = 'SQL, DMY';
SELECT * FROM rpt.window_units('2026-02-01 00:00:00+00', '2026-03-01 00:00:00+00');
SET datestyle = 'Postgres, MDY';
SELECT * FROM rpt.window_units('2026-02-01 00:00:00+00', '2026-03-01 00:00:00+00');
RESET datestyle;
SET datestyle = 'ISO';
SET timezone = 'UTC';

-- a table protected without an ordered_at mapping: with a bound, no line
-- counts (the single grand-total row, NULL summary fields); unbounded,
-- every line does
SELECT valuecheck.protect('rpt.win', product => 'sku', price => 'price',
                          list_price => 'list_price', quantity => 'qty', rep => 'rep');
SELECT 'defaults' AS bounds, r.* FROM rpt.window_units(NULL, NULL, true) r;
SELECT 'NULL, NULL' AS bounds, r.* FROM rpt.window_units(NULL, NULL) r;
SELECT '-infinity, infinity' AS bounds, r.* FROM rpt.window_units('-infinity', 'infinity') r;
SELECT * FROM valuecheck.leakage_report('rpt.win', '2026-02-01 00:00:00+00', NULL);
SELECT * FROM valuecheck.leakage_report('rpt.win', NULL, 'infinity');
SELECT * FROM valuecheck.leakage_report('rpt.win', '-infinity', '2026-02-01 00:00:00+00');

-- ---------------------------------------------------------------------
-- Over no lines: one row, the grand total, with NULL summary fields
-- ---------------------------------------------------------------------
CREATE TABLE rpt.empty (sku text, price numeric, list_price numeric, rep text, campaign text);
SELECT valuecheck.protect('rpt.empty', product => 'sku', price => 'price',
                          list_price => 'list_price', rep => 'rep', campaign => 'campaign');
SELECT * FROM valuecheck.leakage_report('rpt.empty');
-- lines, but none with a price (a product without a floor): their group,
-- its subtotal and the grand total, all with NULL summary fields (as
-- leakage() over NULL inputs)
INSERT INTO rpt.empty VALUES ('D', NULL, 10, 'r1', 'c1'), ('D', NULL, NULL, 'r1', 'c1');
SELECT * FROM valuecheck.leakage_report('rpt.empty');
DELETE FROM rpt.empty;

-- ---------------------------------------------------------------------
-- Errors
-- ---------------------------------------------------------------------
CREATE TABLE rpt.unprotected (sku text, price numeric, list_price numeric);
SELECT * FROM valuecheck.leakage_report('rpt.unprotected');
CREATE TABLE rpt.nolist (sku text, price numeric, list_price numeric);
SELECT valuecheck.protect('rpt.nolist', product => 'sku', price => 'price');
SELECT * FROM valuecheck.leakage_report('rpt.nolist');
SELECT * FROM valuecheck.leakage_report(NULL);
SELECT * FROM valuecheck.leakage_report(NULL, '2026-01-01 00:00:00+00', NULL);
-- unprotected again: an error again
SELECT valuecheck.unprotect('rpt.nolist');
SELECT * FROM valuecheck.leakage_report('rpt.nolist');

-- ---------------------------------------------------------------------
-- Which time a floor is taken at (README, "Value floors"): each line's own
-- ordered_at, now() where it is NULL.  'T' costs at least 50 until
-- February 2000, 80 until April 2000, 100 since.
-- ---------------------------------------------------------------------
INSERT INTO valuecheck.floors (product, min_price, valid) VALUES
    ('T', 50,  '[-infinity,2000-02-01 00:00:00+00)'),
    ('T', 80,  '[2000-02-01 00:00:00+00,2000-04-01 00:00:00+00)'),
    ('T', 100, '[2000-04-01 00:00:00+00,infinity)');
CREATE TABLE rpt.timed (rep text, sku text, price numeric, list_price numeric, at timestamptz);
INSERT INTO rpt.timed VALUES
    ('jan',  'T', 60, 120, '2000-01-15 00:00:00+00'),   -- floor 50: not below
    ('mar',  'T', 60, 120, '2000-03-15 00:00:00+00'),   -- floor 80: 20 below
    ('now',  'T', 60, 120, NULL),                       -- floor 100 (now()): 40 below
    ('edge', 'T', 60, 120, '2000-02-01 00:00:00+00');   -- floor 80 from this instant: 20 below
SELECT valuecheck.protect('rpt.timed', product => 'sku', price => 'price',
                          list_price => 'list_price', rep => 'rep', ordered_at => 'at');
-- (no campaign mapped: each rep shows its group and its subtotal)
SELECT rep, lines, below_floor_lines, floor_leakage
  FROM valuecheck.leakage_report('rpt.timed') WHERE campaign IS NULL AND rep IS NOT NULL
 ORDER BY rep;
SELECT rep, campaign, lines, below_floor_lines, floor_leakage
  FROM valuecheck.leakage_report('rpt.timed') WHERE rep IS NULL;
-- not mapped: every line's floor is taken at now() (100)
SELECT valuecheck.protect('rpt.timed', product => 'sku', price => 'price',
                          list_price => 'list_price', rep => 'rep');
SELECT rep, lines, below_floor_lines, floor_leakage
  FROM valuecheck.leakage_report('rpt.timed') WHERE campaign IS NULL
 ORDER BY rep NULLS LAST;

-- ---------------------------------------------------------------------
-- Quotes, backslashes, spaces and capitals in schema, table, column
-- names and product values; nothing in them is run as SQL
-- ---------------------------------------------------------------------
CREATE TABLE t (keep int);
INSERT INTO t VALUES (1);
CREATE SCHEMA "Sales Q";
CREATE TABLE "Sales Q"."Order ""Lines"" \ 2026" (
    "Product Code"          text,
    "Unit Price"            numeric,
    "List ""Price"""        numeric,
    "Qty=n"                 int,
    "x); DROP TABLE t; --"  text,
    "rep's name"            text,
    "Cur\rency"             text,
    "When?"                 timestamptz,
    "Approval ""#"""        text
);
INSERT INTO valuecheck.floors (product, campaign, min_price, max_discount) VALUES
    (E'O''Brien\\Widget', NULL, 100, NULL),
    (E'O''Brien\\Widget', E'it''s "Q1" \\', 90, NULL),
    ('Ä"x', NULL, NULL, 0.1);
SET valuecheck.enabled = off;
INSERT INTO "Sales Q"."Order ""Lines"" \ 2026" VALUES
    (E'O''Brien\\Widget', 95,  120, 2, NULL,                'Ann O''Neil', 'EUR', '2026-01-05 00:00:00+00', NULL),
    (E'O''Brien\\Widget', 95,  120, 1, E'it''s "Q1" \\',    'Ann O''Neil', 'EUR', '2026-01-06 00:00:00+00', NULL),
    (E'O''Brien\\Widget', 85,  120, 3, E'it''s "Q1" \\',    E'B\\b',       NULL,  '2026-01-07 00:00:00+00', 'x'),
    ('Ä"x',               80,  100, 4, NULL,                E'B\\b',       NULL,  '2026-01-08 00:00:00+00', NULL),
    ('Ä"x',               95,  100, 5, NULL,                E'B\\b',       NULL,  NULL,                     NULL),
    ('Ä"X',               10,  100, 1, NULL,                E'B\\b',       NULL,  '2026-01-09 00:00:00+00', NULL);
RESET valuecheck.enabled;
SELECT valuecheck.protect('"Sales Q"."Order ""Lines"" \ 2026"',
                          product => 'Product Code', price => 'Unit Price',
                          list_price => 'List "Price"', quantity => 'Qty=n',
                          campaign => 'x); DROP TABLE t; --', rep => 'rep''s name',
                          currency => 'Cur\rency', ordered_at => 'When?',
                          approval => 'Approval "#"');
SELECT * FROM valuecheck.leakage_report('"Sales Q"."Order ""Lines"" \ 2026"');
SELECT * FROM valuecheck.leakage_report('"Sales Q"."Order ""Lines"" \ 2026"',
                                        '2026-01-06 00:00:00+00', '2026-01-09 00:00:00+00');
SELECT relation, row_id, product, campaign, rep, price, floor, floor_id, approval_id, approved
  FROM valuecheck.audit('"Sales Q"."Order ""Lines"" \ 2026"');
-- the same in plain SQL
SELECT rep, campaign, count(*) AS lines, sum(q) AS units,
       sum(l * q) AS list_revenue, sum(p * q) AS net_revenue,
       count(*) FILTER (WHERE p < f) AS below_floor_lines,
       COALESCE(sum((f - p) * q) FILTER (WHERE p < f), 0) AS floor_leakage
  FROM (SELECT "rep's name" AS rep, "x); DROP TABLE t; --" AS campaign,
               "Unit Price" AS p, "List ""Price""" AS l, "Qty=n" AS q,
               valuecheck.floor_for("Product Code", COALESCE("When?", now()),
                                    "x); DROP TABLE t; --", "Cur\rency", "List ""Price""") AS f
          FROM "Sales Q"."Order ""Lines"" \ 2026") s
 GROUP BY ROLLUP (rep, campaign)
 ORDER BY GROUPING(rep), rep COLLATE "C", GROUPING(campaign), campaign COLLATE "C";
-- the table the odd column name mentions is still there
SELECT * FROM t;

-- ---------------------------------------------------------------------
-- Integer and float price columns, an integer product, a smallint
-- quantity, a date ordered_at, bigint rep and integer campaign: the
-- report casts them (float8 32.99999999999999 is 33 as numeric)
-- ---------------------------------------------------------------------
INSERT INTO valuecheck.floors (product, campaign, min_price) VALUES
    ('42', NULL, 33),
    ('42', '7',  20);
CREATE TABLE rpt.typed (sku int, price float8, list_price int, qty smallint,
                        rep bigint, campaign int, day date);
SET valuecheck.enabled = off;
INSERT INTO rpt.typed VALUES
    (42, 32.99999999999999, 40, 2,    1, NULL, '2026-01-01'),
    (42, 32.5,              40, 1,    1, NULL, '2026-01-02'),
    (42, 19,                40, -1,   1, 7,    '2026-01-03'),
    (42, 0.1,               40, 3,    2, 7,    NULL),
    (43, 10,                40, NULL, 2, NULL, '2026-01-04');
RESET valuecheck.enabled;
SELECT valuecheck.protect('rpt.typed', product => 'sku', price => 'price',
                          list_price => 'list_price', quantity => 'qty',
                          rep => 'rep', campaign => 'campaign', ordered_at => 'day');
SELECT * FROM valuecheck.leakage_report('rpt.typed');
SELECT rep, campaign, lines, units, net_revenue, below_floor_lines, floor_leakage
  FROM valuecheck.leakage_report('rpt.typed', '2026-01-02', '2026-01-04');
-- the same in plain SQL (the group of rep 2 without campaign has no line
-- with a quantity: NULL summary fields, as leakage() gives)
SELECT rep::text, campaign::text, NULLIF(count(*) FILTER (WHERE ok), 0) AS lines,
       sum(q) FILTER (WHERE ok) AS units,
       sum(l * q) FILTER (WHERE ok) AS list_revenue,
       sum(p * q) FILTER (WHERE ok) AS net_revenue,
       (sum(l * q) FILTER (WHERE ok) - sum(p * q) FILTER (WHERE ok))
           / sum(l * q) FILTER (WHERE ok) AS discount_rate,
       max((l - p) / l) FILTER (WHERE ok) AS max_discount_rate,
       CASE WHEN bool_or(ok) THEN count(*) FILTER (WHERE ok AND p < f) END AS below_floor_lines,
       CASE WHEN bool_or(ok) THEN COALESCE(sum((f - p) * q) FILTER (WHERE ok AND p < f), 0) END AS floor_leakage
  FROM (SELECT rep, campaign, price::numeric AS p, list_price::numeric AS l, qty::numeric AS q,
               qty IS NOT NULL AS ok,
               valuecheck.floor_for(sku::text, COALESCE(day::timestamptz, now()),
                                    campaign::text, NULL, list_price) AS f
          FROM rpt.typed) s
 GROUP BY ROLLUP (rep, campaign)
 ORDER BY GROUPING(rep), rep, GROUPING(campaign), campaign;

-- ---------------------------------------------------------------------
-- Clean up
-- ---------------------------------------------------------------------
SET client_min_messages = warning;
DROP TABLE t;
DROP SCHEMA "Sales Q" CASCADE;
DROP SCHEMA rpt CASCADE;
RESET client_min_messages;
DELETE FROM valuecheck.floors;
