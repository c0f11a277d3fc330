-- README, "Protecting a table": valuecheck.protect(), unprotect(), the protected view,
-- partitioned tables, DROP EXTENSION
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- the valuecheck triggers on a table, by name
CREATE FUNCTION pg_temp.vc_triggers(rel regclass) RETURNS TABLE (tgname name, tgenabled "char")
LANGUAGE sql AS $$
    SELECT t.tgname, t.tgenabled FROM pg_trigger t
     WHERE t.tgrelid = rel AND t.tgfoid = 'valuecheck.enforce()'::regprocedure
     ORDER BY t.tgname
$$;

CREATE TABLE orders (
    id          integer PRIMARY KEY,
    sku         text,
    unit_price  numeric,
    list_price  numeric,
    qty         integer,
    campaign    text,
    rep         text,
    currency    text,
    ordered_at  timestamptz,
    approval_id bigint,
    note        text,
    dropped     numeric
);
ALTER TABLE orders DROP COLUMN dropped;
CREATE VIEW orders_view AS SELECT * FROM orders;
CREATE SEQUENCE orders_seq;
CREATE MATERIALIZED VIEW orders_mv AS SELECT * FROM orders;
CREATE TYPE orders_type AS (a int);
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 90);

-- ---------------------------------------------------------------------
-- Argument validation
-- ---------------------------------------------------------------------
-- the table: missing, a view, a sequence, a materialized view, NULL
SELECT valuecheck.protect('no_such_table', product => 'sku', price => 'unit_price');
SELECT valuecheck.protect('orders_view', product => 'sku', price => 'unit_price');
SELECT valuecheck.protect('orders_seq', product => 'sku', price => 'unit_price');
SELECT valuecheck.protect('orders_mv', product => 'sku', price => 'unit_price');
SELECT valuecheck.protect(NULL, product => 'sku', price => 'unit_price');
-- the required columns
SELECT valuecheck.protect('orders', product => NULL, price => 'unit_price');
SELECT valuecheck.protect('orders', product => 'sku', price => NULL);
-- no signature leaves the price out: the error's code and message (the
-- server's own hint about it became a detail of other words in PostgreSQL 19)
SELECT * FROM vc_test.err($$SELECT valuecheck.protect('orders', product => 'sku')$$)
 WHERE field IN ('sqlstate', 'message');
-- missing, dropped and system columns
SELECT valuecheck.protect('orders', product => 'no_such_column', price => 'unit_price');
SELECT valuecheck.protect('orders', product => 'sku', price => 'no_such_column');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', rep => 'dropped');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price',
                          rep => '........pg.dropped.12........');
SELECT valuecheck.protect('orders', product => 'ctid', price => 'unit_price');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', campaign => 'xmin');
SELECT valuecheck.protect('orders', product => 'tableoid', price => 'unit_price');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', list_price => '');
-- column names are taken as written, not case-folded
SELECT valuecheck.protect('orders', product => 'SKU', price => 'unit_price');
-- unusable types
SELECT valuecheck.protect('orders', product => 'sku', price => 'sku');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', list_price => 'note');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', quantity => 'campaign');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', ordered_at => 'note');
SELECT valuecheck.protect('orders', product => 'sku', price => 'ordered_at');
-- the error fields of a missing column
SELECT * FROM vc_test.err($$SELECT valuecheck.protect('orders', product => 'sku', price => 'nope')$$)
 WHERE field IN ('sqlstate', 'message', 'detail');
SELECT * FROM vc_test.err($$SELECT valuecheck.protect('orders', product => 'sku', price => 'note')$$)
 WHERE field IN ('sqlstate', 'message', 'hint');
-- bad mode and unknown_product values
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', mode => 'strict');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', mode => 'ENFORCE');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', mode => NULL);
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', unknown_product => 'deny');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', unknown_product => NULL);
-- nothing was installed by any of these
SELECT * FROM valuecheck.protected;
SELECT count(*) AS triggers FROM pg_trigger WHERE tgfoid = 'valuecheck.enforce()'::regprocedure;

-- a domain over numeric is a numeric price; any type is a key column
CREATE DOMAIN money_amount AS numeric(12,2) CHECK (VALUE >= 0);
CREATE DOMAIN money_amount2 AS money_amount;
CREATE DOMAIN sku_text AS text;
CREATE TABLE domain_orders (sku sku_text, price money_amount2, list money_amount,
                            campaign integer, rep uuid, ts date);
SELECT valuecheck.protect('domain_orders', product => 'sku', price => 'price',
                          list_price => 'list', campaign => 'campaign', rep => 'rep',
                          ordered_at => 'ts');
INSERT INTO domain_orders (sku, price, list) VALUES ('SKU-1', 95, 100);
INSERT INTO domain_orders (sku, price, list) VALUES ('SKU-1', 85, 100);
SELECT * FROM domain_orders;
-- a domain over text is not a price
CREATE TABLE domain_text_orders (sku text, price sku_text);
SELECT valuecheck.protect('domain_text_orders', product => 'sku', price => 'price');
DROP TABLE domain_orders, domain_text_orders;
DROP DOMAIN money_amount2, money_amount, sku_text;

-- ---------------------------------------------------------------------
-- protect, the view, protect again, unprotect
-- ---------------------------------------------------------------------
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price');
SELECT * FROM valuecheck.protected;
SELECT * FROM pg_temp.vc_triggers('orders');
-- the full mapping, all named arguments
SELECT valuecheck.protect('orders',
         product    => 'sku',
         price      => 'unit_price',
         list_price => 'list_price',
         quantity   => 'qty',
         campaign   => 'campaign',
         rep        => 'rep',
         currency   => 'currency',
         ordered_at => 'ordered_at',
         approval   => 'approval_id',
         mode       => 'warn',
         unknown_product => 'reject');
\x on
SELECT * FROM valuecheck.protected;
\x off
-- calling protect again replaces the configuration: one trigger, new mapping
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price',
                          list_price => 'list_price', mode => 'enforce');
SELECT * FROM valuecheck.protected;
SELECT * FROM pg_temp.vc_triggers('orders');
-- the replaced configuration is the one in force
INSERT INTO orders (id, sku, unit_price) VALUES (1, 'SKU-1', 80);
INSERT INTO orders (id, sku, unit_price) VALUES (2, 'NO-FLOOR', 1);
SELECT id, sku, unit_price FROM orders ORDER BY id;
-- a failed protect() leaves the previous configuration in place
SELECT valuecheck.protect('orders', product => 'sku', price => 'no_such_column');
SELECT relation, product, price, list_price, mode FROM valuecheck.protected;
-- the view's columns and types
SELECT a.attname, a.atttypid::regtype
  FROM pg_attribute a
 WHERE a.attrelid = 'valuecheck.protected'::regclass AND a.attnum > 0
 ORDER BY a.attnum;
-- a table whose name needs quoting, in another schema
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order Lines" ("SKU" text, "Unit Price" numeric, "Rep's name" text);
SELECT valuecheck.protect('"Sales"."Order Lines"', product => 'SKU', price => 'Unit Price',
                          rep => 'Rep''s name');
SELECT * FROM valuecheck.protected ORDER BY relation::text;
INSERT INTO "Sales"."Order Lines" VALUES ('SKU-1', 89.99, 'O''Brien');
INSERT INTO "Sales"."Order Lines" VALUES ('SKU-1', 90, 'O''Brien');
SELECT * FROM "Sales"."Order Lines";
-- unprotect
SELECT valuecheck.unprotect('"Sales"."Order Lines"');
INSERT INTO "Sales"."Order Lines" VALUES ('SKU-1', 1, 'O''Brien');
SELECT * FROM pg_temp.vc_triggers('"Sales"."Order Lines"');
-- unprotect of a table that is not protected is an error
SELECT valuecheck.unprotect('"Sales"."Order Lines"');
SELECT * FROM vc_test.err($$SELECT valuecheck.unprotect('"Sales"."Order Lines"')$$)
 WHERE field IN ('sqlstate', 'message');
SELECT valuecheck.unprotect('orders_view');
SELECT valuecheck.unprotect(NULL);
SELECT valuecheck.unprotect('no_such_table');
-- a trigger of the user's own named like ours is not a protection
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER valuecheck_enforce BEFORE INSERT ON "Sales"."Order Lines"
    FOR EACH ROW EXECUTE FUNCTION noop();
SELECT valuecheck.unprotect('"Sales"."Order Lines"');
SELECT relation FROM valuecheck.protected ORDER BY relation::text;
DROP TRIGGER valuecheck_enforce ON "Sales"."Order Lines";
DROP TABLE "Sales"."Order Lines";
DROP SCHEMA "Sales";
DROP FUNCTION noop();

-- dropping a protected table removes it from the view
CREATE TABLE short_lived (sku text, price numeric);
SELECT valuecheck.protect('short_lived', product => 'sku', price => 'price');
DROP TABLE short_lived;
SELECT relation FROM valuecheck.protected ORDER BY relation::text;

-- ---------------------------------------------------------------------
-- Privileges: protect, unprotect and the trigger function are not PUBLIC
-- ---------------------------------------------------------------------
SELECT has_function_privilege('public', 'valuecheck.protect(regclass,text,text,text,text,text,text,text,text,text,text,text)', 'EXECUTE') AS protect,
       has_function_privilege('public', 'valuecheck.unprotect(regclass)', 'EXECUTE') AS unprotect,
       has_function_privilege('public', 'valuecheck.enforce()', 'EXECUTE') AS enforce;
CREATE ROLE regress_vc_protect_user;
CREATE TABLE own_orders (sku text, price numeric);
ALTER TABLE own_orders OWNER TO regress_vc_protect_user;
SET ROLE regress_vc_protect_user;
SELECT valuecheck.protect('own_orders', product => 'sku', price => 'price');
CREATE TRIGGER valuecheck_mine AFTER INSERT ON own_orders
    FOR EACH ROW EXECUTE FUNCTION valuecheck.enforce('product=sku', 'price=price');
RESET ROLE;
SELECT * FROM pg_temp.vc_triggers('own_orders');
DROP TABLE own_orders;
DROP ROLE regress_vc_protect_user;

-- a hand-made trigger with a bad argument is refused on every row, and the
-- second refusal does not crash on what the first left in the cache
CREATE TABLE bad_args (sku text, price numeric, junk text);
CREATE TRIGGER valuecheck_bad AFTER INSERT ON bad_args
    FOR EACH ROW EXECUTE FUNCTION valuecheck.enforce('product=sku', 'price=price', 'bogus=junk');
INSERT INTO bad_args VALUES ('SKU-1', 1, 'x');
INSERT INTO bad_args VALUES ('SKU-1', 1, 'x');
DROP TABLE bad_args;

-- ---------------------------------------------------------------------
-- Partitioned tables
-- ---------------------------------------------------------------------
CREATE TABLE porders (region text, sku text, price numeric) PARTITION BY LIST (region);
CREATE TABLE porders_eu PARTITION OF porders FOR VALUES IN ('EU');
CREATE TABLE porders_us PARTITION OF porders FOR VALUES IN ('US')
    PARTITION BY LIST (sku);
CREATE TABLE porders_us_1 PARTITION OF porders_us FOR VALUES IN ('SKU-1');
CREATE TABLE porders_us_other PARTITION OF porders_us DEFAULT;
SELECT valuecheck.protect('porders', product => 'sku', price => 'price');
-- a partition created after protect() is covered as well
CREATE TABLE porders_asia PARTITION OF porders FOR VALUES IN ('ASIA');
-- the view lists only the table protect() was called on
SELECT relation, product, price FROM valuecheck.protected ORDER BY relation::text;
-- every partition carries a valuecheck_ trigger
SELECT c.relname, t.tgname LIKE 'valuecheck\_%' AS named_valuecheck
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgfoid = 'valuecheck.enforce()'::regprocedure
 ORDER BY c.relname;
INSERT INTO porders VALUES ('ASIA', 'SKU-1', 80);
INSERT INTO porders VALUES ('US', 'SKU-1', 80);
INSERT INTO porders_us_other VALUES ('US', 'SKU-2', 80);
-- protect on a partition of a protected table is refused
SELECT valuecheck.protect('porders_eu', product => 'sku', price => 'price');
SELECT valuecheck.protect('porders_us_1', product => 'sku', price => 'price');
SELECT valuecheck.protect('porders_asia', product => 'sku', price => 'price');
-- unprotect of a partition is refused too (the partitioned table is protected)
SELECT valuecheck.unprotect('porders_eu');
-- protect again on the partitioned table replaces it everywhere
SELECT valuecheck.protect('porders', product => 'sku', price => 'price', mode => 'warn');
SELECT relation, mode FROM valuecheck.protected ORDER BY relation::text;
SELECT count(*) AS triggers FROM pg_trigger WHERE tgfoid = 'valuecheck.enforce()'::regprocedure;
SELECT valuecheck.unprotect('porders');
SELECT count(*) AS triggers FROM pg_trigger WHERE tgfoid = 'valuecheck.enforce()'::regprocedure;
-- a partition alone may be protected when its parent is not
SELECT valuecheck.protect('porders_eu', product => 'sku', price => 'price');
SELECT relation FROM valuecheck.protected ORDER BY relation::text;
INSERT INTO porders VALUES ('EU', 'SKU-1', 80);
INSERT INTO porders VALUES ('US', 'SKU-1', 80);
SELECT * FROM porders ORDER BY region, sku, price;
SELECT valuecheck.unprotect('porders_eu');

-- ---------------------------------------------------------------------
-- DROP EXTENSION ... CASCADE removes the triggers from user tables
-- ---------------------------------------------------------------------
SELECT valuecheck.protect('porders', product => 'sku', price => 'price');
SELECT count(*) AS triggers FROM pg_trigger WHERE tgfoid = 'valuecheck.enforce()'::regprocedure;
SET client_min_messages = warning;
DROP EXTENSION valuecheck CASCADE;
RESET client_min_messages;
SELECT c.relname, t.tgname
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname LIKE 'valuecheck%' ORDER BY 1, 2;
SELECT count(*) AS extension_objects FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.oid = d.refobjid);
-- the tables stay usable, with their rows
INSERT INTO porders VALUES ('EU', 'SKU-1', 1);
INSERT INTO orders (id, sku, unit_price) VALUES (3, 'SKU-1', 1);
SELECT count(*) FROM porders;
SELECT count(*) FROM orders;
CREATE EXTENSION valuecheck;
SELECT count(*) AS protected FROM valuecheck.protected;

DROP VIEW orders_view;
DROP MATERIALIZED VIEW orders_mv;
DROP TABLE orders, porders;
DROP SEQUENCE orders_seq;
DROP TYPE orders_type;
