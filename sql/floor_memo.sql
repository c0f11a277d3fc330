-- valuecheck.floor_cache_size (issue 9): the floor memo, at its smallest
-- (nearly every lookup evicts and reads the product again), at 64kB and at
-- the default, gives the floors the README's resolution ("Value floors") gives, to floor_for,
-- floor_detail, enforcement, leakage_report and audit alike; its memory
-- stays within the setting; and the lookup also works without the product
-- index (a planned query instead).  (make test also runs every pg_regress
-- test a second time with the setting at its minimum.)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- the setting: memory units, default 8MB, minimum 1kB, each session its own
SELECT name, unit, boot_val, min_val, context, vartype
  FROM pg_settings WHERE name = 'valuecheck.floor_cache_size';
-- below the minimum: refused (the message's wording is the server's)
SELECT field, value FROM vc_test.err('SET valuecheck.floor_cache_size = 0') WHERE field = 'sqlstate';
SET valuecheck.floor_cache_size = '1kB';
SHOW valuecheck.floor_cache_size;

-- 300 products: general floors (min_price, or max_discount), some valid
-- until 2030 and followed by a higher one, campaign and currency floors
INSERT INTO valuecheck.floors (product, campaign, currency, min_price, max_discount, valid)
SELECT 'F' || lpad(i::text, 3, '0'), NULL, NULL,
       CASE WHEN i % 3 <> 0 THEN i END, CASE WHEN i % 3 = 0 THEN 0.25 END,
       CASE WHEN i % 4 = 0 THEN tstzrange('-infinity', '2030-01-01') ELSE '[-infinity,infinity)' END
  FROM generate_series(1, 300) i
UNION ALL
SELECT 'F' || lpad(i::text, 3, '0'), NULL, NULL, i + 50, NULL, tstzrange('2030-01-01', 'infinity')
  FROM generate_series(4, 300, 4) i
UNION ALL
SELECT 'F' || lpad(i::text, 3, '0'), 'SPRING', NULL, i / 2.0, NULL, '[-infinity,infinity)'
  FROM generate_series(5, 300, 5) i
UNION ALL
SELECT 'F' || lpad(i::text, 3, '0'), NULL, 'EUR', i + 7, 0.1, '[-infinity,infinity)'
  FROM generate_series(7, 300, 7) i;

-- every combination of product (and 10 without floors), campaign,
-- currency, time and list price, with the README's resolution ("Value floors") in plain SQL
CREATE TABLE memo_lines AS
SELECT 'F' || lpad(i::text, 3, '0') AS product, c.campaign, k.currency, t.at, l.list,
       (SELECT CASE WHEN f.max_discount IS NULL OR l.list IS NULL THEN f.min_price
                    ELSE greatest(f.min_price, l.list * (1 - f.max_discount)) END
          FROM valuecheck.floors f
         WHERE f.product = 'F' || lpad(i::text, 3, '0') AND f.valid @> t.at
           AND (f.campaign IS NULL OR f.campaign = c.campaign)
           AND (f.currency IS NULL OR f.currency = k.currency)
         ORDER BY f.campaign IS NULL, f.currency IS NULL LIMIT 1) AS ref,
       (SELECT f.floor_id
          FROM valuecheck.floors f
         WHERE f.product = 'F' || lpad(i::text, 3, '0') AND f.valid @> t.at
           AND (f.campaign IS NULL OR f.campaign = c.campaign)
           AND (f.currency IS NULL OR f.currency = k.currency)
         ORDER BY f.campaign IS NULL, f.currency IS NULL LIMIT 1) AS ref_id
  FROM generate_series(1, 310) i,
       (VALUES (NULL), ('SPRING'), ('X')) c (campaign),
       (VALUES (NULL), ('EUR')) k (currency),
       (VALUES ('2025-06-01'::timestamptz), ('2035-06-01')) t (at),
       (VALUES (NULL::numeric), (200)) l (list);
ANALYZE memo_lines;

CREATE FUNCTION pg_temp.mismatches() RETURNS TABLE (lines bigint, priced bigint, floor_for bigint, floor_detail bigint)
LANGUAGE sql AS $$
SELECT count(*), count(ref),
       count(*) FILTER (WHERE valuecheck.floor_for(product, at, campaign, currency, list) IS DISTINCT FROM ref),
       count(*) FILTER (WHERE (valuecheck.floor_detail(product, at, campaign, currency, list)).floor_id IS DISTINCT FROM ref_id
                           OR (valuecheck.floor_detail(product, at, campaign, currency, list)).floor IS DISTINCT FROM ref)
  FROM memo_lines $$;

SELECT * FROM pg_temp.mismatches();          -- 1kB
SET valuecheck.floor_cache_size = '64kB';
SELECT * FROM pg_temp.mismatches();
RESET valuecheck.floor_cache_size;
SELECT * FROM pg_temp.mismatches();          -- the default (8MB)

-- in parallel workers (each with its own memo), at the smallest size
SET valuecheck.floor_cache_size = '1kB';
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT count(*) FILTER (WHERE valuecheck.floor_for(product, at, campaign, currency, list) IS DISTINCT FROM ref)
  FROM memo_lines;
SELECT count(*) FILTER (WHERE valuecheck.floor_for(product, at, campaign, currency, list) IS DISTINCT FROM ref) AS mismatches
  FROM memo_lines;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- memory: within the setting (plus the context's block slack), whatever
-- the number of products looked up
SET valuecheck.floor_cache_size = '64kB';
SELECT count(valuecheck.floor_for(product, at, campaign, currency, list)) > 0 FROM memo_lines;
SELECT total_bytes <= (64 + 16 + 128 + 64) * 1024 AS within_64kb
  FROM pg_backend_memory_contexts WHERE name = 'valuecheck floor cache';
SET valuecheck.floor_cache_size = '1kB';
SELECT count(valuecheck.floor_for(product, at, campaign, currency, list)) > 0 FROM memo_lines;
SELECT total_bytes <= (1 + 128 + 64) * 1024 AS within_1kb
  FROM pg_backend_memory_contexts WHERE name = 'valuecheck floor cache';

-- enforcement at the smallest size: every line at its floor passes, a
-- line a cent below is refused (enforce) or logged with its floor (warn)
CREATE TABLE memo_orders (id serial, sku text, price numeric, list numeric,
                          campaign text, currency text, ordered_at timestamptz,
                          rep text DEFAULT 'r1');
SELECT valuecheck.protect('memo_orders', product => 'sku', price => 'price',
                          list_price => 'list', campaign => 'campaign',
                          currency => 'currency', ordered_at => 'ordered_at', rep => 'rep');
INSERT INTO memo_orders (sku, price, list, campaign, currency, ordered_at)
SELECT product, ref, 200, campaign, currency, at
  FROM memo_lines WHERE ref IS NOT NULL AND list IS NOT NULL AND at < '2030-01-01';
SELECT count(*) FROM memo_orders;
INSERT INTO memo_orders (sku, price, list, campaign, currency)
VALUES ('F005', 2.49, 200, 'SPRING', NULL);
INSERT INTO memo_orders (sku, price, list, campaign, currency)
VALUES ('F007', 179.99, 200, NULL, 'EUR');

CREATE TABLE memo_warn (LIKE memo_orders INCLUDING DEFAULTS);
SELECT valuecheck.protect('memo_warn', product => 'sku', price => 'price',
                          list_price => 'list', campaign => 'campaign',
                          currency => 'currency', mode => 'warn');
SET client_min_messages = error;
INSERT INTO memo_warn (sku, price, list, campaign, currency)
SELECT product, ref - 0.01, 200, campaign, currency
  FROM memo_lines WHERE ref IS NOT NULL AND list IS NOT NULL AND at < '2030-01-01';
RESET client_min_messages;
SELECT count(*) AS logged,
       count(*) FILTER (WHERE v.floor IS DISTINCT FROM v.price + 0.01) AS wrong_floor
  FROM valuecheck.violations v WHERE v.relation = 'public.memo_warn';

-- the reports at the smallest size and at the default agree, line by line
UPDATE memo_orders SET price = price - 1 WHERE id % 3 = 0;  -- below: refused
SET valuecheck.enabled = off;
UPDATE memo_orders SET price = price - 1 WHERE id % 3 = 0;  -- history below its floor
RESET valuecheck.enabled;
SET valuecheck.floor_cache_size = '1kB';
CREATE TEMP TABLE report_small AS SELECT * FROM valuecheck.leakage_report('memo_orders');
CREATE TEMP TABLE audit_small AS SELECT * FROM valuecheck.audit('memo_orders');
RESET valuecheck.floor_cache_size;
CREATE TEMP TABLE report_large AS SELECT * FROM valuecheck.leakage_report('memo_orders');
CREATE TEMP TABLE audit_large AS SELECT * FROM valuecheck.audit('memo_orders');
SELECT (SELECT count(*) FROM report_small) AS report_rows,
       (SELECT count(*) FROM (SELECT * FROM report_small EXCEPT SELECT * FROM report_large
                              UNION ALL
                              SELECT * FROM report_large EXCEPT SELECT * FROM report_small) d) AS report_differences,
       (SELECT below_floor_lines FROM report_small WHERE rep IS NULL AND campaign IS NULL) AS below,
       (SELECT count(*) FROM audit_small) AS audit_rows,
       (SELECT count(*) FROM (SELECT * FROM audit_small EXCEPT SELECT * FROM audit_large
                              UNION ALL
                              SELECT * FROM audit_large EXCEPT SELECT * FROM audit_small) d) AS audit_differences;

-- without a btree index on product, the same floors through a planned query
SET valuecheck.floor_cache_size = '1kB';
BEGIN;
DROP INDEX valuecheck.floors_product_idx;
SELECT * FROM pg_temp.mismatches();
INSERT INTO memo_orders (sku, price, list) VALUES ('F010', 9.99, 200);
ROLLBACK;
SELECT * FROM pg_temp.mismatches();

-- the bulk read: once the memo has missed for a quarter of the floors (or
-- 1000 times), a memo that can hold the whole table reads every floor in
-- one index scan (a DEBUG1 message says so); the answers stay the same
-- (SET, not RESET: make test's second run starts its sessions at 1kB)
SET valuecheck.floor_cache_size = '8MB';
ANALYZE valuecheck.floors;  -- the size estimate the decision reads
UPDATE valuecheck.floors SET note = 'bulk' WHERE product = 'F003';  -- empties the memo
CREATE TABLE memo_bulk (LIKE memo_orders INCLUDING DEFAULTS);
SELECT valuecheck.protect('memo_bulk', product => 'sku', price => 'price',
                          list_price => 'list', campaign => 'campaign',
                          currency => 'currency');
SET client_min_messages = debug1;
INSERT INTO memo_bulk (sku, price, list, campaign, currency)
SELECT product, ref, 200, campaign, currency
  FROM memo_lines WHERE ref IS NOT NULL AND list IS NOT NULL AND at < '2030-01-01';
RESET client_min_messages;
SELECT count(*) FROM memo_bulk;
INSERT INTO memo_bulk (sku, price, list, campaign, currency)
VALUES ('F299', 298.99, 200, NULL, NULL);
SELECT * FROM pg_temp.mismatches();
-- not when the table does not fit in half the memo
SET valuecheck.floor_cache_size = '128kB';
UPDATE valuecheck.floors SET note = 'bulk' WHERE product = 'F003';
SET client_min_messages = debug1;
INSERT INTO memo_bulk (sku, price, list, campaign, currency)
SELECT product, ref, 200, campaign, currency
  FROM memo_lines WHERE ref IS NOT NULL AND list IS NOT NULL AND at < '2030-01-01';
RESET client_min_messages;
RESET valuecheck.floor_cache_size;
DROP TABLE memo_bulk;

-- a floor change is seen at once, whatever the memo held
SELECT valuecheck.floor_for('F001', '2025-06-01'), valuecheck.floor_for('F002', '2025-06-01');
UPDATE valuecheck.floors SET min_price = 1.5 WHERE product = 'F001';
SELECT valuecheck.floor_for('F001', '2025-06-01'), valuecheck.floor_for('F002', '2025-06-01');
DELETE FROM valuecheck.floors WHERE product = 'F002';
SELECT valuecheck.floor_for('F001', '2025-06-01'), valuecheck.floor_for('F002', '2025-06-01');

RESET valuecheck.floor_cache_size;

DROP TABLE memo_orders, memo_warn, memo_lines;
