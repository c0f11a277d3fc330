-- README, "Value floors": value floors (rules, resolution, floor_for, privileges,
-- pg_dump registration)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- ---------------------------------------------------------------------
-- Bad floors are refused
-- ---------------------------------------------------------------------
-- (terse: the DETAIL of a CHECK violation shows created_at)
\set VERBOSITY terse
-- negative min_price
INSERT INTO valuecheck.floors (product, min_price) VALUES ('P', -0.01);
-- max_discount outside [0, 1)
INSERT INTO valuecheck.floors (product, max_discount) VALUES ('P', 1);
INSERT INTO valuecheck.floors (product, max_discount) VALUES ('P', -0.1);
INSERT INTO valuecheck.floors (product, max_discount) VALUES ('P', 1.5);
-- NaN and infinities, for both bounds
INSERT INTO valuecheck.floors (product, min_price) VALUES ('P', 'NaN');
INSERT INTO valuecheck.floors (product, min_price) VALUES ('P', 'Infinity');
INSERT INTO valuecheck.floors (product, min_price) VALUES ('P', '-Infinity');
INSERT INTO valuecheck.floors (product, max_discount) VALUES ('P', 'NaN');
INSERT INTO valuecheck.floors (product, max_discount) VALUES ('P', 'Infinity');
INSERT INTO valuecheck.floors (product, max_discount) VALUES ('P', '-Infinity');
-- empty validity
INSERT INTO valuecheck.floors (product, min_price, valid) VALUES ('P', 10, 'empty');
INSERT INTO valuecheck.floors (product, min_price, valid)
    VALUES ('P', 10, '[2024-01-01,2024-01-01)');
-- neither bound set
INSERT INTO valuecheck.floors (product) VALUES ('P');
INSERT INTO valuecheck.floors (product, min_price, max_discount) VALUES ('P', NULL, NULL);
-- the edges of the allowed values are accepted
INSERT INTO valuecheck.floors (product, min_price, max_discount, note)
    VALUES ('EDGE-0', 0, 0, 'zero is a valid floor');
INSERT INTO valuecheck.floors (product, max_discount) VALUES ('EDGE-1', 0.9999);
SELECT product, min_price, max_discount, valid FROM valuecheck.floors ORDER BY product;
-- the column defaults
SELECT created_by = current_user AS created_by_me, created_at <= now() AS created_before_now,
       valid = '[-infinity,infinity)'::tstzrange AS valid_always
  FROM valuecheck.floors ORDER BY floor_id;
DELETE FROM valuecheck.floors;
-- the SQLSTATE and constraint of a bad floor
SELECT * FROM vc_test.err($$INSERT INTO valuecheck.floors (product, min_price) VALUES ('P', -1)$$)
 WHERE field <> 'detail';
-- an UPDATE into a bad value is refused as well
INSERT INTO valuecheck.floors (product, min_price) VALUES ('UPD', 10);
UPDATE valuecheck.floors SET min_price = -1 WHERE product = 'UPD';
UPDATE valuecheck.floors SET min_price = NULL WHERE product = 'UPD';
UPDATE valuecheck.floors SET max_discount = 1 WHERE product = 'UPD';
DELETE FROM valuecheck.floors;
\set VERBOSITY default

-- ---------------------------------------------------------------------
-- Overlapping floors of the same (product, campaign, currency)
-- ---------------------------------------------------------------------
INSERT INTO valuecheck.floors (product, campaign, currency, min_price, valid) VALUES
    ('OV', NULL,     NULL,  100, '[2024-01-01,2025-01-01)'),
    ('OV', 'SPRING', NULL,  80,  '[2024-01-01,2025-01-01)'),
    ('OV', NULL,     'EUR', 95,  '[2024-01-01,2025-01-01)'),
    ('OV', 'SPRING', 'EUR', 75,  '[2024-01-01,2025-01-01)');
SELECT floor_id, product, campaign, currency, min_price, valid
  FROM valuecheck.floors ORDER BY floor_id;
-- same general key, overlapping time: refused (NULL campaign and currency
-- count as one value, "any")
INSERT INTO valuecheck.floors (product, min_price, valid)
    VALUES ('OV', 110, '[2024-06-01,2024-07-01)');
-- same campaign, any currency
INSERT INTO valuecheck.floors (product, campaign, min_price, valid)
    VALUES ('OV', 'SPRING', 70, '[2024-12-31,2025-06-01)');
-- any campaign, same currency
INSERT INTO valuecheck.floors (product, currency, min_price)
    VALUES ('OV', 'EUR', 70);
-- same campaign and currency
INSERT INTO valuecheck.floors (product, campaign, currency, min_price, valid)
    VALUES ('OV', 'SPRING', 'EUR', 70, '(,)');
-- a multi-row insert that overlaps itself
INSERT INTO valuecheck.floors (product, min_price, valid) VALUES
    ('OV2', 10, '[2024-01-01,2024-03-01)'),
    ('OV2', 11, '[2024-02-01,2024-04-01)');
-- the SQLSTATE and constraint of the overlap error
SELECT * FROM vc_test.err($$INSERT INTO valuecheck.floors (product, min_price, valid)
    VALUES ('OV', 110, '[2024-06-01,2024-07-01)')$$);
-- not overlapping: same product, another campaign or currency
INSERT INTO valuecheck.floors (product, campaign, min_price, valid)
    VALUES ('OV', 'SUMMER', 85, '[2024-01-01,2025-01-01)');
INSERT INTO valuecheck.floors (product, currency, min_price, valid)
    VALUES ('OV', 'USD', 105, '[2024-01-01,2025-01-01)');
-- another product with the same key
INSERT INTO valuecheck.floors (product, min_price, valid)
    VALUES ('OV-OTHER', 100, '[2024-01-01,2025-01-01)');
-- adjacent ranges [a,b) and [b,c) do not overlap
INSERT INTO valuecheck.floors (product, min_price, valid)
    VALUES ('OV', 120, '[2025-01-01,2026-01-01)');
INSERT INTO valuecheck.floors (product, min_price, valid)
    VALUES ('OV', 90, '[2023-01-01,2024-01-01)');
-- but [a,b] and [b,c) share b
INSERT INTO valuecheck.floors (product, min_price, valid)
    VALUES ('OV', 130, '[2026-01-01,2027-01-01]'), ('OV', 140, '[2027-01-01,2028-01-01)');
-- an UPDATE into an overlap is refused
UPDATE valuecheck.floors SET valid = '[2024-06-01,2025-06-01)'
 WHERE product = 'OV' AND min_price = 120;
UPDATE valuecheck.floors SET campaign = NULL
 WHERE product = 'OV' AND campaign = 'SUMMER';
UPDATE valuecheck.floors SET currency = 'EUR'
 WHERE product = 'OV' AND currency = 'USD';
-- an UPDATE that keeps the floor's own range is fine
UPDATE valuecheck.floors SET min_price = 101, note = 'raised'
 WHERE product = 'OV' AND campaign IS NULL AND currency IS NULL
   AND valid = '[2024-01-01,2025-01-01)';
SELECT product, campaign, currency, min_price, valid, note
  FROM valuecheck.floors ORDER BY product, valid, campaign NULLS FIRST, currency NULLS FIRST;
DELETE FROM valuecheck.floors;

-- ---------------------------------------------------------------------
-- Resolution by specificity, and floor_for()
-- ---------------------------------------------------------------------
INSERT INTO valuecheck.floors (product, campaign, currency, min_price, max_discount, valid, note) VALUES
    ('SKU-1', NULL,     NULL,  90,   NULL, '[-infinity,infinity)', 'general'),
    ('SKU-1', NULL,     'EUR', 95,   NULL, '[-infinity,infinity)', 'currency'),
    ('SKU-1', 'SPRING', NULL,  70,   NULL, '[-infinity,infinity)', 'campaign, lower than general'),
    ('SKU-1', 'SPRING', 'EUR', 72,   NULL, '[-infinity,infinity)', 'campaign and currency'),
    ('SKU-1', 'XMAS',   NULL,  NULL, 0.2,  '[-infinity,infinity)', 'campaign, discount only'),
    -- effective dates
    ('SKU-2', NULL,     NULL,  50,   NULL, '[2000-01-01,2020-01-01)', 'past'),
    ('SKU-2', NULL,     NULL,  60,   NULL, '[2020-01-01,2100-01-01)', 'present'),
    ('SKU-2', NULL,     NULL,  70,   NULL, '[2100-01-01,infinity)',   'future'),
    ('SKU-3', NULL,     NULL,  40,   NULL, '[2100-01-01,infinity)',   'future only'),
    -- the bounds
    ('DISC',  NULL,     NULL,  NULL, 0.25, '[-infinity,infinity)', 'discount only'),
    ('BOTH',  NULL,     NULL,  80,   0.1,  '[-infinity,infinity)', 'both bounds');

-- campaign beats currency beats general; a campaign floor lower than the
-- general one still wins
SELECT valuecheck.floor_for('SKU-1') AS general,
       valuecheck.floor_for('SKU-1', currency => 'EUR') AS eur,
       valuecheck.floor_for('SKU-1', currency => 'USD') AS usd_falls_back,
       valuecheck.floor_for('SKU-1', campaign => 'SPRING') AS spring,
       valuecheck.floor_for('SKU-1', campaign => 'SPRING', currency => 'USD') AS spring_usd,
       valuecheck.floor_for('SKU-1', campaign => 'SPRING', currency => 'EUR') AS spring_eur,
       valuecheck.floor_for('SKU-1', campaign => 'OTHER') AS other_campaign,
       valuecheck.floor_for('SKU-1', campaign => 'OTHER', currency => 'EUR') AS other_eur;
-- positional arguments: product, at, campaign, currency, list_price
SELECT valuecheck.floor_for('SKU-1', now()) AS two_args,
       valuecheck.floor_for('SKU-1', now(), 'SPRING') AS three_args,
       valuecheck.floor_for('SKU-1', now(), NULL, 'EUR') AS four_args,
       valuecheck.floor_for('SKU-1', now(), 'XMAS', NULL, 200) AS five_args,
       valuecheck.floor_for(product => 'SKU-1', at => now(), campaign => 'SPRING',
                            currency => 'EUR', list_price => 1000) AS all_named;
-- the winning floor alone decides: the XMAS floor has only max_discount, so
-- without a list price there is no floor (no fall-back to the general 90)
SELECT valuecheck.floor_for('SKU-1', campaign => 'XMAS') AS xmas_no_list,
       valuecheck.floor_for('SKU-1', campaign => 'XMAS', list_price => 100) AS xmas_100,
       valuecheck.floor_for('SKU-1', campaign => 'XMAS', currency => 'EUR',
                            list_price => 100) AS xmas_eur_100;
-- effective dates: past and future floors are not in force
SELECT valuecheck.floor_for('SKU-2') AS now,
       valuecheck.floor_for('SKU-2', '2010-06-01') AS in_2010,
       valuecheck.floor_for('SKU-2', '2019-12-31 23:59:59.999999+00') AS last_past_instant,
       valuecheck.floor_for('SKU-2', '2020-01-01 00:00:00+00') AS first_present_instant,
       valuecheck.floor_for('SKU-2', '2150-01-01') AS in_2150,
       valuecheck.floor_for('SKU-2', '1999-12-31') AS before_all,
       valuecheck.floor_for('SKU-2', 'infinity') AS at_infinity;
SELECT valuecheck.floor_for('SKU-3') AS future_only_now,
       valuecheck.floor_for('SKU-3', '2100-01-01') AS future_only_then;
-- max_discount only: list_price * (1 - max_discount), NULL without a list price
SELECT valuecheck.floor_for('DISC') AS no_list,
       valuecheck.floor_for('DISC', list_price => 100) AS list_100,
       valuecheck.floor_for('DISC', list_price => 99.99) AS list_99_99,
       valuecheck.floor_for('DISC', list_price => 0) AS list_0;
-- both bounds: the higher one; without a list price, min_price
SELECT valuecheck.floor_for('BOTH') AS no_list,
       valuecheck.floor_for('BOTH', list_price => 50) AS list_50,
       valuecheck.floor_for('BOTH', list_price => 100) AS list_100,
       valuecheck.floor_for('BOTH', list_price => 200) AS list_200;
-- no floor at all, NULL arguments
SELECT valuecheck.floor_for('NO-SUCH') AS unknown,
       valuecheck.floor_for(NULL) AS null_product,
       valuecheck.floor_for('SKU-1', NULL) AS null_time,
       valuecheck.floor_for('') AS empty_product,
       valuecheck.floor_for('sku-1') AS other_case;
-- floor_for() inside a query over many rows
SELECT p, valuecheck.floor_for(p, campaign => c, list_price => 100) AS floor
  FROM (VALUES ('SKU-1', NULL), ('SKU-1', 'SPRING'), ('SKU-1', 'XMAS'),
               ('DISC', NULL), ('BOTH', NULL), ('NONE', NULL)) v(p, c)
 ORDER BY p, c NULLS FIRST;
-- a floor changed in this transaction is in force at once
BEGIN;
UPDATE valuecheck.floors SET min_price = 91 WHERE product = 'SKU-1' AND note = 'general';
SELECT valuecheck.floor_for('SKU-1') AS raised;
ROLLBACK;
SELECT valuecheck.floor_for('SKU-1') AS after_rollback;
-- floor_for's declaration
SELECT p.provolatile, p.proparallel, pg_get_function_arguments(p.oid) AS args,
       pg_get_function_result(p.oid) AS result
  FROM pg_proc p WHERE p.oid = 'valuecheck.floor_for'::regproc;

-- ---------------------------------------------------------------------
-- Privileges: PUBLIC reads floors, nobody else writes them
-- ---------------------------------------------------------------------
SELECT has_table_privilege('public', 'valuecheck.floors', 'SELECT') AS public_select,
       has_table_privilege('public', 'valuecheck.floors', 'INSERT') AS public_insert,
       has_table_privilege('public', 'valuecheck.floors', 'UPDATE') AS public_update,
       has_table_privilege('public', 'valuecheck.floors', 'DELETE') AS public_delete,
       has_table_privilege('public', 'valuecheck.floors', 'TRUNCATE') AS public_truncate,
       has_schema_privilege('public', 'valuecheck', 'USAGE') AS public_usage,
       has_schema_privilege('public', 'valuecheck', 'CREATE') AS public_create;
CREATE ROLE regress_vc_floors_user;
SET ROLE regress_vc_floors_user;
SELECT count(*) AS floors_visible FROM valuecheck.floors;
SELECT valuecheck.floor_for('SKU-1') AS floor_for_as_user;
INSERT INTO valuecheck.floors (product, min_price) VALUES ('X', 1);
UPDATE valuecheck.floors SET min_price = 0;
DELETE FROM valuecheck.floors;
TRUNCATE valuecheck.floors;
RESET ROLE;
-- a DBA grants marketing the right to write floors
CREATE ROLE regress_vc_floors_marketing;
GRANT INSERT, UPDATE, DELETE ON valuecheck.floors TO regress_vc_floors_marketing;
SET ROLE regress_vc_floors_marketing;
INSERT INTO valuecheck.floors (product, min_price) VALUES ('MKT', 5);
SELECT product, min_price, created_by FROM valuecheck.floors WHERE product = 'MKT';
DELETE FROM valuecheck.floors WHERE product = 'MKT';
RESET ROLE;
REVOKE ALL ON valuecheck.floors FROM regress_vc_floors_marketing;
DROP ROLE regress_vc_floors_user;
DROP ROLE regress_vc_floors_marketing;

-- ---------------------------------------------------------------------
-- pg_dump keeps the rows of the extension's tables and their sequences
-- ---------------------------------------------------------------------
SELECT c.x AS extconfig
  FROM pg_extension e, unnest(e.extconfig::regclass[]) AS c(x)
 WHERE e.extname = 'valuecheck'
 ORDER BY c.x::text;

DELETE FROM valuecheck.floors;
