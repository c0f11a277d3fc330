-- README, "Protecting a table": every path that writes a protected table is checked
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

INSERT INTO valuecheck.floors (product, campaign, min_price, max_discount, valid) VALUES
    ('SKU-1', NULL,     90,   NULL, '[-infinity,infinity)'),        -- 1
    ('SKU-1', 'SPRING', 70,   NULL, '[-infinity,infinity)'),        -- 2
    ('SKU-2', NULL,     50,   NULL, '[-infinity,infinity)'),        -- 3
    ('XMAS-ONLY', 'XMAS', 20, NULL, '[-infinity,infinity)'),        -- 4
    ('DISC',  NULL,     NULL, 0.2,  '[-infinity,infinity)'),        -- 5
    ('OLD',   NULL,     10,   NULL, '[2000-01-01,2020-01-01)'),     -- 6
    ('OLD',   NULL,     100,  NULL, '[2020-01-01,infinity)');       -- 7

CREATE TABLE orders (
    id         integer PRIMARY KEY,
    sku        text,
    price      numeric,
    list_price numeric,
    campaign   text,
    ordered_at timestamptz,
    status     text DEFAULT 'new'
);
SELECT valuecheck.protect('orders', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign',
                          ordered_at => 'ordered_at');

-- ---------------------------------------------------------------------
-- INSERT
-- ---------------------------------------------------------------------
INSERT INTO orders (id, sku, price) VALUES (1, 'SKU-1', 90);      -- at the floor
INSERT INTO orders (id, sku, price) VALUES (2, 'SKU-1', 89.99);   -- below
INSERT INTO orders (id, sku, price, campaign) VALUES (2, 'SKU-1', 75, 'SPRING');  -- campaign floor 70
INSERT INTO orders (id, sku, price, campaign) VALUES (3, 'SKU-1', 69, 'SPRING');
INSERT INTO orders (id, sku, price, campaign) VALUES (3, 'SKU-1', 75, 'SUMMER');  -- general floor 90
-- the error's fields: SQLSTATE 23514, constraint valuecheck_floor, table
SELECT * FROM vc_test.err($$INSERT INTO orders (id, sku, price) VALUES (3, 'SKU-1', 80.00)$$);
-- the floor is taken at the time of the write, never at the row's own time
INSERT INTO orders (id, sku, price, ordered_at) VALUES (3, 'OLD', 50, '2010-06-01');
INSERT INTO orders (id, sku, price, ordered_at) VALUES (3, 'OLD', 100, '2010-06-01');
-- max_discount floors need the list price
INSERT INTO orders (id, sku, price, list_price) VALUES (4, 'DISC', 79.99, 100);
INSERT INTO orders (id, sku, price, list_price) VALUES (4, 'DISC', 80, 100);
-- unpriceable lines
INSERT INTO orders (id, sku, price, list_price) VALUES (5, 'DISC', 80, NULL);
INSERT INTO orders (id, sku, price) VALUES (5, 'SKU-1', NULL);
SELECT * FROM vc_test.err($$INSERT INTO orders (id, sku, price) VALUES (5, 'SKU-1', NULL)$$)
 WHERE field IN ('sqlstate', 'constraint', 'message');
-- a product without a floor passes (unknown_product => 'allow', the default)
INSERT INTO orders (id, sku, price) VALUES (5, 'NO-FLOOR', 0.01);
-- as does a NULL product, and a product whose floors are for another campaign
INSERT INTO orders (id, sku, price) VALUES (6, NULL, 0.01);
INSERT INTO orders (id, sku, price, campaign) VALUES (7, 'XMAS-ONLY', 1, 'SPRING');
INSERT INTO orders (id, sku, price, campaign) VALUES (8, 'XMAS-ONLY', 1, 'XMAS');
SELECT id, sku, price, list_price, campaign FROM orders ORDER BY id;

-- ---------------------------------------------------------------------
-- Multi-row INSERT, INSERT ... SELECT: all or nothing
-- ---------------------------------------------------------------------
INSERT INTO orders (id, sku, price) VALUES (10, 'SKU-1', 100), (11, 'SKU-1', 80), (12, 'SKU-2', 60);
SELECT count(*) AS lines_10_to_12 FROM orders WHERE id BETWEEN 10 AND 12;
INSERT INTO orders (id, sku, price) VALUES (10, 'SKU-1', 100), (11, 'SKU-1', 90), (12, 'SKU-2', 60);
SELECT count(*) AS lines_10_to_12 FROM orders WHERE id BETWEEN 10 AND 12;
-- 1,000 lines, one of them below its floor: none is written
INSERT INTO orders (id, sku, price)
SELECT 1000 + g, 'SKU-1', CASE WHEN g = 777 THEN 89 ELSE 90 + g % 10 END
  FROM generate_series(1, 1000) g;
SELECT count(*) AS bulk_lines FROM orders WHERE id > 1000;
INSERT INTO orders (id, sku, price)
SELECT 1000 + g, 'SKU-1', 90 + g % 10 FROM generate_series(1, 1000) g;
SELECT count(*) AS bulk_lines FROM orders WHERE id > 1000;
DELETE FROM orders WHERE id > 1000;

-- ---------------------------------------------------------------------
-- COPY
-- ---------------------------------------------------------------------
COPY orders (id, sku, price, campaign) FROM stdin;
20	SKU-1	95	\N
21	SKU-1	70	SPRING
22	SKU-2	50	\N
\.
COPY orders (id, sku, price, campaign) FROM stdin;
23	SKU-1	95	\N
24	SKU-1	69.5	SPRING
25	SKU-2	50	\N
\.
COPY orders (id, sku, price, list_price) FROM stdin (FORMAT csv);
26,DISC,80,100
27,DISC,79,100
\.
SELECT id, sku, price, campaign FROM orders WHERE id BETWEEN 20 AND 29 ORDER BY id;

-- ---------------------------------------------------------------------
-- UPDATE
-- ---------------------------------------------------------------------
-- of a mapped column, below the floor: refused
UPDATE orders SET price = 85 WHERE id = 1;
UPDATE orders SET campaign = 'SUMMER' WHERE id = 21;  -- 70 is below the general 90
UPDATE orders SET sku = 'SKU-1' WHERE id = 22;        -- 50 is below SKU-1's 90
UPDATE orders SET list_price = 200 WHERE id = 4;      -- 80 is below 200 * 0.8
-- at or above the floor: accepted
UPDATE orders SET price = 91 WHERE id = 1;
UPDATE orders SET campaign = NULL, price = 90 WHERE id = 21;
-- one bad row makes the whole UPDATE fail
UPDATE orders SET price = price - 1 WHERE id IN (1, 20, 22);
SELECT id, sku, price, list_price, campaign FROM orders WHERE id IN (1, 4, 20, 21, 22) ORDER BY id;
-- marketing raises the floor; the lines below it stay updatable as long as
-- no mapped column changes
UPDATE valuecheck.floors SET min_price = 200 WHERE floor_id = 1;
UPDATE orders SET status = 'shipped' WHERE sku = 'SKU-1';
UPDATE orders SET status = 'invoiced', price = price WHERE id = 1;
UPDATE orders SET status = 'closed', sku = sku, campaign = campaign, price = price,
                  list_price = list_price, ordered_at = ordered_at WHERE id = 20;
-- but a change of a mapped column is checked against today's floor
UPDATE orders SET price = 199 WHERE id = 1;
UPDATE orders SET ordered_at = '2024-01-01' WHERE id = 1;
SELECT id, sku, price, status FROM orders WHERE sku = 'SKU-1' ORDER BY id;
UPDATE valuecheck.floors SET min_price = 90 WHERE floor_id = 1;

-- ---------------------------------------------------------------------
-- INSERT ... ON CONFLICT
-- ---------------------------------------------------------------------
-- DO UPDATE to a price below the floor: refused
INSERT INTO orders (id, sku, price) VALUES (1, 'SKU-1', 95)
    ON CONFLICT (id) DO UPDATE SET price = 80;
INSERT INTO orders (id, sku, price) VALUES (1, 'SKU-1', 80)
    ON CONFLICT (id) DO UPDATE SET price = excluded.price;
-- DO UPDATE at or above the floor: accepted
INSERT INTO orders (id, sku, price) VALUES (1, 'SKU-1', 92)
    ON CONFLICT (id) DO UPDATE SET price = excluded.price;
-- a proposed row below the floor that is never inserted is not checked
INSERT INTO orders (id, sku, price) VALUES (1, 'SKU-1', 1)
    ON CONFLICT (id) DO UPDATE SET status = 'upserted';
INSERT INTO orders (id, sku, price) VALUES (1, 'SKU-1', 1) ON CONFLICT DO NOTHING;
-- the insert path of an upsert is checked
INSERT INTO orders (id, sku, price) VALUES (30, 'SKU-1', 80)
    ON CONFLICT (id) DO UPDATE SET price = excluded.price;
INSERT INTO orders (id, sku, price) VALUES (30, 'SKU-1', 80) ON CONFLICT DO NOTHING;
SELECT id, sku, price, status FROM orders WHERE id IN (1, 30) ORDER BY id;

-- ---------------------------------------------------------------------
-- BEFORE triggers: the check sees the row as stored, whatever their names
-- ---------------------------------------------------------------------
CREATE FUNCTION halve_price() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.price := NEW.price * 0.5; RETURN NEW; END $$;
CREATE FUNCTION floor_price_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.price := greatest(NEW.price, 90); RETURN NEW; END $$;
CREATE TRIGGER zzz_discount BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW WHEN (NEW.status = 'half') EXECUTE FUNCTION halve_price();
CREATE TRIGGER aaa_discount BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW WHEN (NEW.status = 'half-aaa') EXECUTE FUNCTION halve_price();
CREATE TRIGGER aaa_fix BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW WHEN (NEW.status = 'fix') EXECUTE FUNCTION floor_price_up();
CREATE TRIGGER zzz_fix BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW WHEN (NEW.status = 'fix-zzz') EXECUTE FUNCTION floor_price_up();
-- 150 written, 75 stored: refused
INSERT INTO orders (id, sku, price, status) VALUES (40, 'SKU-1', 150, 'half');
INSERT INTO orders (id, sku, price, status) VALUES (40, 'SKU-1', 150, 'half-aaa');
-- 200 written, 100 stored: accepted
INSERT INTO orders (id, sku, price, status) VALUES (40, 'SKU-1', 200, 'half');
INSERT INTO orders (id, sku, price, status) VALUES (41, 'SKU-1', 200, 'half-aaa');
-- 10 written, 90 stored: accepted
INSERT INTO orders (id, sku, price, status) VALUES (42, 'SKU-1', 10, 'fix');
INSERT INTO orders (id, sku, price, status) VALUES (43, 'SKU-1', 10, 'fix-zzz');
-- an UPDATE whose BEFORE trigger changes the price
UPDATE orders SET status = 'half' WHERE id = 1;
UPDATE orders SET status = 'half-aaa', price = 190 WHERE id = 1;
SELECT id, sku, price, status FROM orders WHERE id IN (1, 40, 41, 42, 43) ORDER BY id;
DROP TRIGGER zzz_discount ON orders;
DROP TRIGGER aaa_discount ON orders;
DROP TRIGGER aaa_fix ON orders;
DROP TRIGGER zzz_fix ON orders;
DROP FUNCTION halve_price(), floor_price_up();

-- ---------------------------------------------------------------------
-- Generated columns
-- ---------------------------------------------------------------------
CREATE TABLE gen_orders (
    id         integer PRIMARY KEY,
    sku        text,
    list_price numeric,
    discount   numeric,
    price      numeric GENERATED ALWAYS AS (list_price * (1 - discount)) STORED
);
SELECT valuecheck.protect('gen_orders', product => 'sku', price => 'price',
                          list_price => 'list_price');
INSERT INTO gen_orders (id, sku, list_price, discount) VALUES (1, 'SKU-1', 100, 0.2);
INSERT INTO gen_orders (id, sku, list_price, discount) VALUES (1, 'SKU-1', 100, 0.05);
UPDATE gen_orders SET discount = 0.15 WHERE id = 1;
UPDATE gen_orders SET list_price = 1000 WHERE id = 1;
-- a NULL discount gives a NULL price: unpriceable
INSERT INTO gen_orders (id, sku, list_price, discount) VALUES (2, 'SKU-1', 100, NULL);
SELECT * FROM gen_orders ORDER BY id;
DROP TABLE gen_orders;

-- ---------------------------------------------------------------------
-- Partitioned tables: routing, future partitions, default partition,
-- rows moved between partitions
-- ---------------------------------------------------------------------
CREATE TABLE porders (region text, id integer, sku text, price numeric, status text)
    PARTITION BY LIST (region);
CREATE TABLE porders_eu PARTITION OF porders FOR VALUES IN ('EU');
SELECT valuecheck.protect('porders', product => 'sku', price => 'price');
CREATE TABLE porders_us PARTITION OF porders FOR VALUES IN ('US');
CREATE TABLE porders_other PARTITION OF porders DEFAULT;
INSERT INTO porders VALUES ('EU', 1, 'SKU-1', 80);
INSERT INTO porders VALUES ('US', 2, 'SKU-1', 80);
INSERT INTO porders VALUES ('ASIA', 3, 'SKU-1', 80);
-- directly into a partition
INSERT INTO porders_us VALUES ('US', 4, 'SKU-1', 80);
COPY porders FROM stdin;
EU	5	SKU-1	95	\N
ASIA	6	SKU-1	80	\N
\.
COPY porders FROM stdin;
EU	5	SKU-1	95	\N
ASIA	6	SKU-1	90	\N
US	7	SKU-2	55	\N
\.
SELECT tableoid::regclass AS part, * FROM porders ORDER BY id;
-- a partition attached later (created outside the table) is covered too
CREATE TABLE porders_latam (region text, id integer, sku text, price numeric, status text);
ALTER TABLE porders DETACH PARTITION porders_other;
ALTER TABLE porders ATTACH PARTITION porders_latam FOR VALUES IN ('LATAM');
ALTER TABLE porders ATTACH PARTITION porders_other DEFAULT;
INSERT INTO porders VALUES ('LATAM', 8, 'SKU-1', 80);
INSERT INTO porders VALUES ('LATAM', 8, 'SKU-1', 100);
-- after the floor was raised, a line below it stays updatable within its
-- partition, but moving it to another partition is an insert there, checked
UPDATE valuecheck.floors SET min_price = 96 WHERE floor_id = 1;
UPDATE porders SET status = 'shipped' WHERE id = 5;
UPDATE porders SET region = 'US' WHERE id = 5;
UPDATE porders SET region = 'US' WHERE id = 8;
UPDATE valuecheck.floors SET min_price = 90 WHERE floor_id = 1;
UPDATE porders SET region = 'US' WHERE id = 5;
-- an UPDATE moving a row and making it bad
UPDATE porders SET region = 'EU', price = 80 WHERE id = 6;
SELECT tableoid::regclass AS part, * FROM porders ORDER BY id;
DROP TABLE porders;

-- ---------------------------------------------------------------------
-- Transactions: a refused line aborts its statement; rollback removes all
-- ---------------------------------------------------------------------
BEGIN;
INSERT INTO orders (id, sku, price) VALUES (50, 'SKU-1', 95);
SAVEPOINT s;
INSERT INTO orders (id, sku, price) VALUES (51, 'SKU-1', 85);
ROLLBACK TO SAVEPOINT s;
INSERT INTO orders (id, sku, price) VALUES (52, 'SKU-1', 96);
COMMIT;
BEGIN;
INSERT INTO orders (id, sku, price) VALUES (53, 'SKU-1', 95);
INSERT INTO orders (id, sku, price) VALUES (54, 'SKU-1', 85);
INSERT INTO orders (id, sku, price) VALUES (55, 'SKU-1', 95);
COMMIT;
BEGIN;
INSERT INTO orders (id, sku, price) VALUES (56, 'SKU-1', 95);
ROLLBACK;
SELECT id, price FROM orders WHERE id BETWEEN 50 AND 59 ORDER BY id;
-- a floor raised earlier in the same transaction is in force at once
BEGIN;
UPDATE valuecheck.floors SET min_price = 100 WHERE floor_id = 1;
INSERT INTO orders (id, sku, price) VALUES (57, 'SKU-1', 95);
ROLLBACK;
-- and gone after a rollback
INSERT INTO orders (id, sku, price) VALUES (57, 'SKU-1', 95);
-- a floor added in the same transaction
BEGIN;
INSERT INTO valuecheck.floors (product, min_price) VALUES ('NEW-SKU', 10);
INSERT INTO orders (id, sku, price) VALUES (58, 'NEW-SKU', 9);
ROLLBACK;
INSERT INTO orders (id, sku, price) VALUES (58, 'NEW-SKU', 9);
SELECT id, sku, price FROM orders WHERE id BETWEEN 57 AND 58 ORDER BY id;

-- ---------------------------------------------------------------------
-- unknown_product => 'reject'
-- ---------------------------------------------------------------------
SELECT valuecheck.protect('orders', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign',
                          unknown_product => 'reject');
-- no floor for the product
INSERT INTO orders (id, sku, price) VALUES (60, 'NO-FLOOR', 100);
-- floors only for another campaign, or no campaign at all
INSERT INTO orders (id, sku, price, campaign) VALUES (60, 'XMAS-ONLY', 100, 'SPRING');
INSERT INTO orders (id, sku, price) VALUES (60, 'XMAS-ONLY', 100);
-- only floors that are no longer in force
INSERT INTO valuecheck.floors (product, min_price, valid) VALUES ('GONE', 1, '[2000-01-01,2001-01-01)');
INSERT INTO orders (id, sku, price) VALUES (60, 'GONE', 100);
-- a NULL product
INSERT INTO orders (id, sku, price) VALUES (60, NULL, 100);
SELECT * FROM vc_test.err($$INSERT INTO orders (id, sku, price) VALUES (60, 'NO-FLOOR', 100)$$);
-- a product whose floor applies is checked as before
INSERT INTO orders (id, sku, price, campaign) VALUES (60, 'XMAS-ONLY', 20, 'XMAS');
INSERT INTO orders (id, sku, price, campaign) VALUES (61, 'XMAS-ONLY', 19, 'XMAS');
-- an old line of an unknown product stays updatable (no mapped column changes)
UPDATE orders SET status = 'closed' WHERE id = 5;
-- but not when a mapped column changes
UPDATE orders SET price = 1 WHERE id = 5;
-- back to 'allow'
SELECT valuecheck.protect('orders', product => 'sku', price => 'price',
                          list_price => 'list_price', campaign => 'campaign',
                          unknown_product => 'allow');
INSERT INTO orders (id, sku, price) VALUES (61, 'NO-FLOOR', 100);
INSERT INTO orders (id, sku, price) VALUES (62, NULL, 100);
SELECT id, sku, price, campaign FROM orders WHERE id BETWEEN 60 AND 69 ORDER BY id;

-- ---------------------------------------------------------------------
-- valuecheck.enabled: a superuser may switch checking off
-- ---------------------------------------------------------------------
SHOW valuecheck.enabled;
SET valuecheck.enabled = off;
INSERT INTO orders (id, sku, price) VALUES (70, 'SKU-1', 1);
UPDATE orders SET price = 2 WHERE id = 70;
SET valuecheck.enabled = on;
INSERT INTO orders (id, sku, price) VALUES (71, 'SKU-1', 1);
-- the line loaded while checking was off stays updatable
UPDATE orders SET status = 'historic' WHERE id = 70;
UPDATE orders SET price = 3 WHERE id = 70;
RESET valuecheck.enabled;
SHOW valuecheck.enabled;
SELECT id, sku, price, status FROM orders WHERE id >= 70 ORDER BY id;
-- nobody else may
SELECT s.context FROM pg_settings s WHERE s.name = 'valuecheck.enabled';
CREATE ROLE regress_vc_paths_rep;
GRANT SELECT, INSERT, UPDATE ON orders TO regress_vc_paths_rep;
SET ROLE regress_vc_paths_rep;
SET valuecheck.enabled = off;
BEGIN;
SET LOCAL valuecheck.enabled = off;
ROLLBACK;
SELECT set_config('valuecheck.enabled', 'off', false);
SHOW valuecheck.enabled;
INSERT INTO orders (id, sku, price) VALUES (72, 'SKU-1', 1);
INSERT INTO orders (id, sku, price) VALUES (72, 'SKU-1', 90);
RESET ROLE;
SELECT id, sku, price FROM orders WHERE id >= 70 ORDER BY id;
-- a placeholder set in a new session, before the library is loaded, is
-- discarded with a WARNING when it loads: checking stays on
\c
SET ROLE regress_vc_paths_rep;
SET valuecheck.enabled = off;
INSERT INTO orders (id, sku, price) VALUES (73, 'SKU-1', 1);
SHOW valuecheck.enabled;
RESET ROLE;
SELECT id, sku, price FROM orders WHERE id >= 70 ORDER BY id;
REVOKE ALL ON orders FROM regress_vc_paths_rep;
DROP ROLE regress_vc_paths_rep;

DROP TABLE orders;
