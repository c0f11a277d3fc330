-- Lines for the aggregate, leakage_report and audit comparisons
-- (test/citus/run.sh): one local table and a distributed copy of it,
-- loaded before protection so that lines below their floors exist.
SELECT setseed(0.42);
CREATE TABLE sales_local (
    id         bigint PRIMARY KEY,
    sku        text NOT NULL,
    rep        text,
    campaign   text,
    l          numeric,
    p          numeric,
    q          numeric,
    q2         smallint,
    q4         integer,
    q8         bigint,
    f          numeric,
    ordered_at timestamptz,
    approval   text
);
INSERT INTO sales_local
SELECT i, 'P' || (i % 17),
       CASE WHEN i % 29 = 0 THEN NULL ELSE 'rep' || (i % 7) END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE 'c' || (i % 3) END,
       CASE WHEN i % 97 = 0 THEN NULL WHEN i % 89 = 0 THEN 0 ELSE l END,
       CASE WHEN i % 101 = 0 THEN NULL ELSE round(l * (0.55 + random() * 0.5)::numeric, (i % 4)) END,
       q, q::smallint, q::integer, q::bigint,
       CASE WHEN i % 11 = 0 THEN NULL ELSE round(l * 0.8, 2) END,
       CASE WHEN i % 43 = 0 THEN NULL
            ELSE timestamptz '2024-01-01 00:00+00' + (i % 120) * interval '1 day' END,
       CASE WHEN i % 13 = 0 THEN (i % 3 + 1)::text WHEN i % 31 = 0 THEN 'x' END
  FROM (SELECT i, round((20 + random() * 180)::numeric, 2) AS l,
               CASE WHEN i % 53 = 0 THEN NULL WHEN i % 61 = 0 THEN -2 ELSE 1 + i % 9 END AS q
          FROM generate_series(1, 3000) i) s;
UPDATE sales_local SET p = 1e15 + p, l = 1e15 + l WHERE id IN (7, 700);  -- beyond int64 cents

CREATE TABLE sales (LIKE sales_local INCLUDING ALL);
SELECT create_distributed_table('sales', 'id');
INSERT INTO sales SELECT * FROM sales_local;

INSERT INTO valuecheck.floors (product, campaign, min_price, max_discount, valid)
SELECT 'P' || k, NULL, 40 + k * 3, CASE WHEN k % 3 = 0 THEN 0.3 END,
       CASE WHEN k % 4 = 0 THEN tstzrange('-infinity', '2024-02-15 00:00+00') ELSE '[-infinity,infinity)' END
  FROM generate_series(0, 16) k;
INSERT INTO valuecheck.floors (product, campaign, min_price, valid)
SELECT 'P' || k, NULL, 60 + k, tstzrange('2024-02-15 00:00+00', 'infinity')
  FROM generate_series(0, 16, 4) k;
INSERT INTO valuecheck.floors (product, campaign, max_discount)
SELECT 'P' || k, 'c1', 0.2 FROM generate_series(1, 16, 5) k;

-- the same mapping on both (approvals are single-node: none is mapped)
SELECT valuecheck.protect(t, product => 'sku', price => 'p', list_price => 'l',
         quantity => 'q4', campaign => 'campaign', rep => 'rep',
         ordered_at => 'ordered_at')
  FROM unnest(ARRAY['sales'::regclass, 'sales_local'::regclass]) t;
