-- Fixture of `make bench`, run by test/bench/run.sh in a fresh database:
--   psql -v products=10000 -v dir=/server/side/dir -f setup.sql
--
-- :products products SKU-00001... with a list price each, and their value
-- floors (about 1.3 floors per product, every rule of README, "Value floors" in use):
--   - i % 4 <> 0: a general floor min_price = 70% of list;
--   - i % 4 =  0: a general floor with both bounds, max_discount 25% and
--                 min_price 60% of list (floor = 75% of list);
--   - i % 5 =  0: the general floor ends in a year, a higher one follows;
--   - i % 10 = 0: a campaign floor for 'SPRING' (50% of list).
-- Every bench line is priced at 80..100% of list, so at or above its floor.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS valuecheck CASCADE;

CREATE TABLE bench_meta (dir text NOT NULL, products int NOT NULL);
INSERT INTO bench_meta VALUES (:'dir', :products);

CREATE TABLE bench_products (
    i          int PRIMARY KEY,
    sku        text NOT NULL UNIQUE,
    list_price numeric(12,2) NOT NULL
);
-- the pgbench scripts compute sku and list price from i with the same
-- formulas: keep them in step (bench_trigger.sh, bench_approvals.sh)
INSERT INTO bench_products
SELECT i, 'SKU-' || lpad(i::text, 5, '0'), 5.99 + (i * 37) % 995
  FROM generate_series(1, :products) i;

INSERT INTO valuecheck.floors (product, campaign, min_price, max_discount, valid, note)
SELECT sku, NULL,
       CASE WHEN i % 4 = 0 THEN round(list_price * 0.60, 2) ELSE round(list_price * 0.70, 2) END,
       CASE WHEN i % 4 = 0 THEN 0.25 END,
       CASE WHEN i % 5 = 0 THEN tstzrange('-infinity', now() + interval '1 year')
            ELSE '[-infinity,infinity)' END,
       'bench'
  FROM bench_products
UNION ALL
SELECT sku, NULL, round(list_price * 0.90, 2), NULL,
       tstzrange(now() + interval '1 year', 'infinity'), 'bench: next year'
  FROM bench_products WHERE i % 5 = 0
UNION ALL
SELECT sku, 'SPRING', round(list_price * 0.50, 2), NULL, '[-infinity,infinity)', 'bench: promotion'
  FROM bench_products WHERE i % 10 = 0;

ANALYZE bench_products;
ANALYZE valuecheck.floors;
