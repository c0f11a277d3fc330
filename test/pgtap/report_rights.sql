-- The reports never run a table owner's code with the caller's rights
-- (README "Security").  An owner who is not superuser protects a table
-- whose mapped columns carry hostile casts and operators; a superuser and
-- an analyst run leakage_report() and audit() over it.  Each hostile
-- function leaves a mark (and tries to make its owner superuser): there
-- must be none.  A positive control shows the marks work: the cast the
-- 1.0 reports used (t.sku::text) does leave one.
BEGIN;
SET LOCAL client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck CASCADE;

SELECT plan(16);

CREATE ROLE vc_tap_owner NOLOGIN;
CREATE ROLE vc_tap_analyst NOLOGIN;
CREATE SCHEMA hostile AUTHORIZATION vc_tap_owner;
GRANT SELECT ON valuecheck.protected, valuecheck.approvals TO vc_tap_analyst;  -- the README's analyst grants
CREATE TABLE public.vc_marks (who name, what text);
GRANT INSERT ON public.vc_marks TO PUBLIC;
GRANT EXECUTE ON FUNCTION valuecheck.protect(regclass, text, text, text, text, text,
                                             text, text, text, text, text, text)
    TO vc_tap_owner;
GRANT EXECUTE ON FUNCTION valuecheck.enforce() TO vc_tap_owner;
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 90), ('SKU-2', 40);

SET LOCAL ROLE vc_tap_owner;
CREATE TYPE hostile.sku AS ENUM ('SKU-1', 'SKU-2', 'SPRING', 'ann', 'bob');
CREATE FUNCTION hostile.evil_text(hostile.sku) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.vc_marks VALUES (current_user, 'cast to text');
    BEGIN
        EXECUTE 'ALTER ROLE vc_tap_owner SUPERUSER';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    RETURN 'SKU-2';
END $$;
CREATE CAST (hostile.sku AS text) WITH FUNCTION hostile.evil_text(hostile.sku);
CREATE FUNCTION hostile.evil_eq(hostile.sku, hostile.sku) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.vc_marks VALUES (current_user, 'operator =');
    RETURN true;
END $$;
CREATE OPERATOR hostile.= (LEFTARG = hostile.sku, RIGHTARG = hostile.sku,
                           FUNCTION = hostile.evil_eq);
CREATE TYPE hostile.price_box AS (v numeric);
CREATE FUNCTION hostile.evil_num(hostile.price_box) RETURNS numeric
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.vc_marks VALUES (current_user, 'cast to numeric');
    RETURN 0;
END $$;
CREATE CAST (hostile.price_box AS numeric) WITH FUNCTION hostile.evil_num(hostile.price_box);

CREATE TABLE hostile.orders (
    id         integer PRIMARY KEY,
    sku        hostile.sku,
    campaign   hostile.sku,
    rep        hostile.sku,
    list_price numeric,
    price      numeric,
    qty        integer,
    approval   hostile.sku
);
SELECT valuecheck.protect('hostile.orders', product => 'sku', price => 'price',
                          list_price => 'list_price', quantity => 'qty',
                          campaign => 'campaign', rep => 'rep', approval => 'approval');
INSERT INTO hostile.orders VALUES (1, 'SKU-1', NULL, 'ann', 100, 95, 2, NULL),
                                  (2, 'SKU-1', 'SPRING', 'bob', 100, 92, 1, NULL),
                                  (3, 'SKU-2', NULL, 'ann', 50, 45, 3, NULL);
GRANT SELECT ON hostile.orders TO vc_tap_analyst;
GRANT USAGE ON SCHEMA hostile TO vc_tap_analyst;
-- a second table whose price column becomes a type with a hostile cast
-- to numeric after it was protected
CREATE TABLE hostile.retyped (sku text, list_price numeric, price numeric);
SELECT valuecheck.protect('hostile.retyped', product => 'sku', price => 'price',
                          list_price => 'list_price');
INSERT INTO hostile.retyped VALUES ('SKU-1', 100, 95);
ALTER TABLE hostile.retyped ALTER COLUMN price TYPE hostile.price_box USING ROW(price);
RESET ROLE;

SELECT is((SELECT count(*) FROM public.vc_marks), 0::bigint,
    'the owner''s writes through the trigger ran none of the hostile functions');

-- floors rise: every line is now below its floor, for the audit
UPDATE valuecheck.floors SET min_price = 100;

-- as superuser
SELECT is((SELECT count(*) FROM valuecheck.leakage_report('hostile.orders')), 5::bigint,
    'superuser: leakage_report over the hostile table gives its rows');
SELECT is((SELECT count(*) FROM valuecheck.audit('hostile.orders')), 3::bigint,
    'superuser: audit over the hostile table gives its rows');
SELECT is((SELECT string_agg(rep || '/' || COALESCE(campaign, '-') || '/' || lines, ' ' ORDER BY rep, campaign)
             FROM valuecheck.leakage_report('hostile.orders') WHERE rep IS NOT NULL AND campaign IS NOT NULL),
          'bob/SPRING/1',
    'the report reads enum values by their output function, as the trigger does');
SELECT is((SELECT string_agg(product || ':' || price, ' ' ORDER BY product, price)
             FROM valuecheck.audit('hostile.orders')),
          'SKU-1:92 SKU-1:95 SKU-2:45',
    'the audit reads enum values by their output function');
SELECT is((SELECT count(*) FROM public.vc_marks), 0::bigint,
    'superuser: the reports ran no function of the table''s owner');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'vc_tap_owner'),
    'the owner did not become superuser');
SELECT throws_ok($$SELECT * FROM valuecheck.leakage_report('hostile.retyped')$$, '42804',
    NULL, 'a price column retyped to the owner''s type is refused, not cast');
SELECT throws_ok($$SELECT * FROM valuecheck.audit('hostile.retyped')$$, '42804',
    NULL, 'the audit refuses it too');
SELECT is((SELECT count(*) FROM public.vc_marks), 0::bigint,
    'superuser: no hostile cast to numeric ran');

-- as an analyst with SELECT on the table only
SET LOCAL ROLE vc_tap_analyst;
SELECT is((SELECT count(*) FROM valuecheck.leakage_report('hostile.orders')), 5::bigint,
    'analyst: leakage_report over the hostile table');
SELECT is((SELECT count(*) FROM valuecheck.audit('hostile.orders')), 3::bigint,
    'analyst: audit over the hostile table');
RESET ROLE;
SELECT is((SELECT count(*) FROM public.vc_marks), 0::bigint,
    'analyst: the reports ran no function of the table''s owner');

-- positive control: the cast 1.0's reports used runs the owner's code as
-- the caller, and the marks show it
SELECT is((SELECT count(*) FROM (SELECT t.sku::text FROM hostile.orders t) s), 3::bigint,
    'control: t.sku::text runs the hostile cast');
SELECT is((SELECT count(*) FROM public.vc_marks WHERE who = current_user), 3::bigint,
    'control: the hostile cast left a mark for each row, as the caller');
SELECT ok((SELECT rolsuper FROM pg_roles WHERE rolname = 'vc_tap_owner'),
    'control: run by a superuser, that cast made its owner superuser (the takeover the reports no longer allow)');

SELECT * FROM finish();
ROLLBACK;
