-- Holes an adversarial review found in 1.0, each reproduced as it worked
-- then and shown refused or harmless now (README, "Security").
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
DROP ROLE IF EXISTS vc_sec_rep;
DROP ROLE IF EXISTS vc_sec_reader;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.uses(id bigint) RETURNS text LANGUAGE sql AS $$
    SELECT uses || ' of ' || COALESCE(max_uses::text, 'unlimited')
      FROM valuecheck.approvals WHERE approval_id = id
$$;

CREATE TABLE orders (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text,
    qty         integer,
    list_price  numeric,
    unit_price  numeric,
    campaign    text,
    currency    text,
    rep         text,
    approval_id text
);
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price',
                          list_price => 'list_price', quantity => 'qty',
                          campaign => 'campaign', currency => 'currency',
                          rep => 'rep', approval => 'approval_id');
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 90), ('SKU-2', 50);

-- ---------------------------------------------------------------------
-- 1. A single-use approval covers one line, however floors move
-- ---------------------------------------------------------------------
SELECT valuecheck.approve('SKU-1', 70, 'big deal', max_uses => 1) AS a1 \gset
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id)
VALUES ('SKU-1', 1, 100, 75, 'rep1', :'a1');
SELECT pg_temp.uses(:a1);
-- lines at their floors may name any approval: nothing is taken
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id) VALUES
    ('SKU-2', 1, 100, 50, 'rep1', :'a1'),
    ('SKU-1', 1, 100, 90, 'rep1', :'a1'),
    ('SKU-1', 1, 100, 90, 'rep1', :'a1');
-- marketing raises floors, routinely
UPDATE valuecheck.floors SET min_price = 55 WHERE product = 'SKU-2';
UPDATE valuecheck.floors SET min_price = 95 WHERE product = 'SKU-1';
-- 1.0 accepted this (UPDATE 4, uses still 1): now it needs new uses
UPDATE orders SET sku = 'SKU-1', unit_price = 70, qty = 1000 WHERE approval_id = :'a1';
SELECT pg_temp.uses(:a1);
SELECT count(*) AS lines_at_70 FROM orders WHERE unit_price = 70;
SELECT count(*) AS approved_in_audit FROM valuecheck.audit('orders') WHERE approved;

-- each way of widening what an approval covers takes a use, as an insert
-- does; with uses to spare the update goes through and the count shows it
SELECT valuecheck.approve('SKU-1', 60, 'roomy', max_uses => 10, rep => 'rep1') AS a2 \gset
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id)
VALUES ('SKU-1', 5, 100, 80, 'rep1', :'a2') RETURNING id AS l2 \gset
SELECT pg_temp.uses(:a2);
UPDATE orders SET unit_price = 79 WHERE id = :l2;            -- a lower price
SELECT pg_temp.uses(:a2);
UPDATE orders SET qty = 6 WHERE id = :l2;                    -- more units
SELECT pg_temp.uses(:a2);
UPDATE orders SET campaign = 'SPRING' WHERE id = :l2;        -- another campaign
SELECT pg_temp.uses(:a2);
UPDATE orders SET currency = 'EUR' WHERE id = :l2;           -- another currency
SELECT pg_temp.uses(:a2);
-- a change that cannot widen it (a higher price, fewer units) takes none
UPDATE orders SET qty = 4, unit_price = 85 WHERE id = :l2;
SELECT pg_temp.uses(:a2);
UPDATE orders SET qty = 2, unit_price = 86 WHERE id = :l2;
SELECT pg_temp.uses(:a2);
UPDATE orders SET qty = NULL WHERE id = :l2;                 -- quantity no longer known
SELECT pg_temp.uses(:a2);
-- another rep is another line: a rep-bound approval refuses it
UPDATE orders SET rep = 'rep2' WHERE id = :l2;
-- another product: refused (the approval is for SKU-1)
UPDATE orders SET sku = 'SKU-2', unit_price = 52 WHERE id = :l2;
SELECT pg_temp.uses(:a2);
SELECT count(*) AS exceptions_of_a2 FROM valuecheck.exceptions WHERE approval_id = :a2;

-- an old row that named the approval without meeting its terms (it was at
-- its floor, so nobody checked) gets no free pass once the floor rises
SELECT valuecheck.approve('SKU-2', 40, 'for rep2 only', rep => 'rep2', max_uses => 5) AS a3 \gset
UPDATE valuecheck.floors SET min_price = 50 WHERE product = 'SKU-2';
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id)
VALUES ('SKU-2', 1, 100, 52, 'rep1', :'a3') RETURNING id AS l3 \gset
UPDATE valuecheck.floors SET min_price = 60 WHERE product = 'SKU-2';
UPDATE orders SET unit_price = 53 WHERE id = :l3;
SELECT pg_temp.uses(:a3);

-- ---------------------------------------------------------------------
-- 3. Refusals name the failed condition; the terms only to readers of
--    valuecheck.approvals
-- ---------------------------------------------------------------------
CREATE ROLE vc_sec_rep;
CREATE ROLE vc_sec_reader;
GRANT INSERT, SELECT, UPDATE ON orders TO vc_sec_rep, vc_sec_reader;
GRANT SELECT ON valuecheck.approvals TO vc_sec_reader;
SELECT valuecheck.approve('SKU-2', 10, 'secret terms', campaign => 'BIGCORP',
                          rep => 'rep2', max_uses => 1) AS a4 \gset
SET ROLE vc_sec_rep;
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id) VALUES ('SKU-1', 1, 100, 20, 'rep1', :'a4');
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id) VALUES ('SKU-2', 1, 100, 20, 'rep1', :'a4');
INSERT INTO orders (sku, qty, list_price, unit_price, campaign, rep, approval_id) VALUES ('SKU-2', 1, 100, 20, 'BIGCORP', 'rep1', :'a4');
INSERT INTO orders (sku, qty, list_price, unit_price, campaign, rep, approval_id) VALUES ('SKU-2', 1, 100, 5, 'BIGCORP', 'rep2', :'a4');
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id) VALUES ('SKU-1', 1, 100, 80, 'rep1', :'a1');
SET ROLE vc_sec_reader;
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id) VALUES ('SKU-1', 1, 100, 20, 'rep1', :'a4');
INSERT INTO orders (sku, qty, list_price, unit_price, campaign, rep, approval_id) VALUES ('SKU-2', 1, 100, 5, 'BIGCORP', 'rep2', :'a4');
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id) VALUES ('SKU-1', 1, 100, 80, 'rep1', :'a1');
RESET ROLE;

-- ---------------------------------------------------------------------
-- 4. An approval value that overflows bigint names no approval
-- ---------------------------------------------------------------------
SELECT v, valuecheck.parse_approval_id(v)
  FROM (VALUES ('1'), ('9223372036854775807'), ('9223372036854775808'),
               ('18446744073709551617'), ('36893488147419103233'),
               ('99999999999999999999999')) AS t(v);
SELECT valuecheck.approve('SKU-1', 10, 'one use', max_uses => 1) AS a5 \gset
SELECT :a5 = 5 AS is_approval_5;
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id)
VALUES ('SKU-1', 1, 100, 50, 'rep1', '18446744073709551621');
SELECT pg_temp.uses(:a5);

-- ---------------------------------------------------------------------
-- 6. One hand-made trigger with bad arguments does not break the view
-- ---------------------------------------------------------------------
CREATE TABLE own_table (sku text, price numeric);
CREATE TRIGGER g AFTER INSERT ON own_table FOR EACH ROW
    EXECUTE FUNCTION valuecheck.enforce('nonsense');
SELECT relation, product, price, mode FROM valuecheck.protected ORDER BY relation::text;
-- that table refuses writes, and says why
INSERT INTO own_table VALUES ('SKU-1', 1);
SELECT * FROM valuecheck.leakage_report('own_table');
DROP TABLE own_table;

-- ---------------------------------------------------------------------
-- 7. protect() replaces only its own trigger
-- ---------------------------------------------------------------------
CREATE TABLE other_trigger (sku text, price numeric);
CREATE FUNCTION audit_trail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER valuecheck_enforce AFTER INSERT ON other_trigger
    FOR EACH ROW EXECUTE FUNCTION audit_trail();
SELECT valuecheck.protect('other_trigger', product => 'sku', price => 'price');
SELECT tgname, tgfoid::regproc FROM pg_trigger WHERE tgrelid = 'other_trigger'::regclass;
SELECT valuecheck.unprotect('other_trigger');
-- the mapping check protect() uses looks only at tables the caller has a
-- right on (it takes a lock on the table)
SET ROLE vc_sec_rep;
SELECT valuecheck.check_mapping('other_trigger', ARRAY['product=sku', 'price=price']);
RESET ROLE;
DROP TABLE other_trigger;
DROP FUNCTION audit_trail();

-- ---------------------------------------------------------------------
-- 8. A counter that would overflow is an error, never an unreadable state
-- ---------------------------------------------------------------------
SELECT valuecheck.discount_leakage_trans('v1:discount_leakage lines=9223372036854775807 discount=0/0/0/0/0/0/0', 1, 1);
SELECT valuecheck.discount_leakage_trans('v1:discount_leakage lines=9223372036854775806 discount=0/0/0/0/0/0/0', 1, 1);
SELECT valuecheck.floor_leakage_trans(valuecheck.floor_leakage_trans(NULL, 1, 2), 1, 2)::text;
SELECT valuecheck.leakage_state_combine(
    'v1:discount_leakage lines=9223372036854775807 discount=0/0/0/0/0/0/0',
    'v1:discount_leakage lines=1 discount=0/0/0/0/0/0/0');

-- ---------------------------------------------------------------------
-- 9. Approval expiry is judged at the transaction's start (now())
-- ---------------------------------------------------------------------
BEGIN;
SELECT valuecheck.approve('SKU-1', 10, 'short-lived', clock_timestamp() + interval '0.5 seconds',
                          max_uses => 5) AS a6 \gset
SELECT pg_sleep(0.7);
-- expired by the clock, not at the transaction's start: accepted
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id) VALUES ('SKU-1', 1, 100, 50, 'rep1', :'a6');
COMMIT;
-- a new transaction starts after the expiry (as a rep, who is not told when)
SET ROLE vc_sec_rep;
INSERT INTO orders (sku, qty, list_price, unit_price, rep, approval_id) VALUES ('SKU-1', 1, 100, 50, 'rep1', :'a6');
RESET ROLE;
SELECT pg_temp.uses(:a6);

DROP TABLE orders;
DROP OWNED BY vc_sec_rep, vc_sec_reader;
DROP ROLE vc_sec_rep;
DROP ROLE vc_sec_reader;
