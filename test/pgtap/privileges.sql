-- Privileges (README, "Roles and privileges"): what a rep who may only write orders, a
-- sales manager and marketing can and cannot do.
--
-- Self-contained: everything, roles included (CREATE ROLE is
-- transactional), is created inside one transaction that is rolled back.
-- Roles:
--   vc_tap_rep        INSERT, UPDATE, SELECT on tap_orders; nothing else
--                     (USAGE on schema valuecheck comes from PUBLIC)
--   vc_tap_manager    EXECUTE on approve() and revoke_approval(), granted
--                     as the README shows
--   vc_tap_marketing  INSERT, UPDATE, DELETE on valuecheck.floors
BEGIN;
SET LOCAL client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS pgtap;
DROP EXTENSION IF EXISTS valuecheck CASCADE;

SELECT plan(79);

CREATE ROLE vc_tap_rep NOLOGIN;
CREATE ROLE vc_tap_manager NOLOGIN;
CREATE ROLE vc_tap_marketing NOLOGIN;

-- valuecheck.enabled before the library is loaded in this session: a
-- non-superuser's placeholder is accepted by PostgreSQL, then discarded
-- when the library loads (CREATE EXTENSION loads it below).
SET LOCAL ROLE vc_tap_rep;
SELECT lives_ok($$SET valuecheck.enabled = off$$,
    'rep: before the library is loaded, SET valuecheck.enabled only sets a placeholder');
RESET ROLE;

CREATE EXTENSION valuecheck CASCADE;

SELECT is(current_setting('valuecheck.enabled'), 'on',
    'the placeholder a rep set is discarded when the library loads');

CREATE TABLE public.tap_orders (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku        text NOT NULL,
    price      numeric,
    list_price numeric,
    rep        text DEFAULT current_user,
    approval   text
);
GRANT INSERT, UPDATE, SELECT ON public.tap_orders TO vc_tap_rep;
SELECT valuecheck.protect('public.tap_orders', product => 'sku', price => 'price',
                          list_price => 'list_price', rep => 'rep',
                          approval => 'approval');
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 100);

GRANT EXECUTE ON FUNCTION valuecheck.approve(text, numeric, text, timestamptz, text, text, integer)
    TO vc_tap_manager;
GRANT EXECUTE ON FUNCTION valuecheck.revoke_approval(bigint) TO vc_tap_manager;
GRANT INSERT, UPDATE, DELETE ON valuecheck.floors TO vc_tap_marketing;

-- ---------------------------------------------------------------------
-- PUBLIC (README, "Roles and privileges")
-- ---------------------------------------------------------------------
SELECT ok(has_schema_privilege('public', 'valuecheck', 'USAGE'),
    'PUBLIC has USAGE on schema valuecheck');
SELECT ok(NOT has_schema_privilege('public', 'valuecheck', 'CREATE'),
    'PUBLIC cannot create objects in schema valuecheck');
SELECT ok(has_table_privilege('public', 'valuecheck.floors', 'SELECT'),
    'PUBLIC may read valuecheck.floors');
SELECT ok(NOT has_function_privilege('public',
        'valuecheck.approve(text, numeric, text, timestamptz, text, text, integer)', 'EXECUTE'),
    'PUBLIC cannot execute valuecheck.approve()');
SELECT ok(NOT has_function_privilege('public', 'valuecheck.revoke_approval(bigint)', 'EXECUTE'),
    'PUBLIC cannot execute valuecheck.revoke_approval()');
SELECT ok(NOT has_function_privilege('public',
        'valuecheck.protect(regclass, text, text, text, text, text, text, text, text, text, text, text)',
        'EXECUTE'),
    'PUBLIC cannot execute valuecheck.protect()');
SELECT ok(NOT has_function_privilege('public', 'valuecheck.unprotect(regclass)', 'EXECUTE'),
    'PUBLIC cannot execute valuecheck.unprotect()');
SELECT ok(NOT has_function_privilege('public', 'valuecheck.enforce()', 'EXECUTE'),
    'PUBLIC cannot execute valuecheck.enforce()');
SELECT ok(has_function_privilege('public',
        'valuecheck.floor_for(text, timestamptz, text, text, numeric)', 'EXECUTE'),
    'PUBLIC may execute valuecheck.floor_for()');

-- No table, view or sequence of the extension is writable by PUBLIC or by
-- the rep (who was granted nothing in schema valuecheck).
SELECT is_empty($$
    SELECT c.oid::regclass, r.who, p.priv
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN (VALUES ('public'), ('vc_tap_rep')) AS r(who)
     CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'),
                        ('REFERENCES'), ('TRIGGER')) AS p(priv)
     WHERE n.nspname = 'valuecheck'
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND has_table_privilege(r.who, c.oid, p.priv)
    $$,
    'no table of schema valuecheck is writable by PUBLIC or the rep');
SELECT is_empty($$
    SELECT c.oid::regclass, r.who, p.priv
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN (VALUES ('public'), ('vc_tap_rep')) AS r(who)
     CROSS JOIN (VALUES ('UPDATE'), ('USAGE')) AS p(priv)
     WHERE n.nspname = 'valuecheck'
       AND c.relkind = 'S'
       AND has_sequence_privilege(r.who, c.oid, p.priv)
    $$,
    'no sequence of schema valuecheck can be advanced or set by PUBLIC or the rep');
-- the same, as the information schema reports grants
SELECT is_empty($$
    SELECT table_name, privilege_type
      FROM information_schema.table_privileges
     WHERE table_schema = 'valuecheck'
       AND grantee IN ('PUBLIC', 'vc_tap_rep')
       AND privilege_type <> 'SELECT'
    $$,
    'information_schema lists no grant but SELECT on schema valuecheck to PUBLIC or the rep');

-- ---------------------------------------------------------------------
-- The rep (README, "Protecting a table" and "Approvals")
-- ---------------------------------------------------------------------
SET LOCAL ROLE vc_tap_rep;

SELECT lives_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-1', 100)$$,
    'rep: a line at its floor is accepted');
SELECT lives_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-1', 120)$$,
    'rep: a line above its floor is accepted');
SELECT throws_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-1', 99)$$,
    '23514', 'price 99 for product "SKU-1" on "tap_orders" is below its value floor 100',
    'rep: a line below its floor is refused');
SELECT throws_ok($$UPDATE tap_orders SET price = 50 WHERE price = 120$$,
    '23514', 'price 50 for product "SKU-1" on "tap_orders" is below its value floor 100',
    'rep: an update below the floor is refused');
SELECT results_eq($$SELECT price FROM tap_orders ORDER BY id$$,
    $$VALUES (100::numeric), (120::numeric)$$,
    'rep: only the accepted lines were stored');

-- floors: read yes, write no
SELECT results_eq($$SELECT min_price FROM valuecheck.floors WHERE product = 'SKU-1'$$,
    $$VALUES (100::numeric)$$,
    'rep can read valuecheck.floors');
SELECT throws_ok($$INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 1)$$,
    '42501', 'permission denied for table floors', 'rep cannot INSERT into valuecheck.floors');
SELECT throws_ok($$UPDATE valuecheck.floors SET min_price = 1$$,
    '42501', 'permission denied for table floors', 'rep cannot UPDATE valuecheck.floors');
SELECT throws_ok($$DELETE FROM valuecheck.floors$$,
    '42501', 'permission denied for table floors', 'rep cannot DELETE from valuecheck.floors');
SELECT throws_ok($$TRUNCATE valuecheck.floors$$,
    '42501', 'permission denied for table floors', 'rep cannot TRUNCATE valuecheck.floors');

-- the logs and approvals
SELECT throws_ok($$INSERT INTO valuecheck.violations (relation) VALUES ('x')$$,
    '42501', 'permission denied for table violations', 'rep cannot INSERT into valuecheck.violations');
SELECT throws_ok($$DELETE FROM valuecheck.violations$$,
    '42501', 'permission denied for table violations', 'rep cannot DELETE from valuecheck.violations');
SELECT throws_ok($$INSERT INTO valuecheck.exceptions (relation, approval_id) VALUES ('x', 1)$$,
    '42501', 'permission denied for table exceptions', 'rep cannot INSERT into valuecheck.exceptions');
SELECT throws_ok($$DELETE FROM valuecheck.exceptions$$,
    '42501', 'permission denied for table exceptions', 'rep cannot DELETE from valuecheck.exceptions');
SELECT throws_ok($$INSERT INTO valuecheck.approvals (product, min_price, expires_at, reason)
                   VALUES ('SKU-1', 0, 'infinity', 'self-service')$$,
    '42501', 'permission denied for table approvals', 'rep cannot INSERT into valuecheck.approvals');
SELECT throws_ok($$DELETE FROM valuecheck.approvals$$,
    '42501', 'permission denied for table approvals', 'rep cannot DELETE from valuecheck.approvals');

-- the functions reserved to managers and DBAs
SELECT throws_ok($$SELECT valuecheck.approve('SKU-1', 1, 'self-service')$$,
    '42501', 'permission denied for function approve', 'rep cannot execute valuecheck.approve()');
SELECT throws_ok($$SELECT valuecheck.revoke_approval(1)$$,
    '42501', 'permission denied for function revoke_approval', 'rep cannot execute valuecheck.revoke_approval()');
SELECT throws_ok($$SELECT valuecheck.protect('tap_orders', product => 'sku', price => 'price', mode => 'warn')$$,
    '42501', 'permission denied for function protect', 'rep cannot execute valuecheck.protect()');
SELECT throws_ok($$SELECT valuecheck.unprotect('tap_orders')$$,
    '42501', 'permission denied for function unprotect', 'rep cannot execute valuecheck.unprotect()');
SELECT throws_ok($$SELECT valuecheck.enforce()$$,
    '42501', 'permission denied for function enforce', 'rep cannot execute valuecheck.enforce()');
-- ... nor attach the trigger to a table of their own (to burn approvals or
-- write log rows)
CREATE TEMP TABLE tap_own_orders (sku text, price numeric, approval text);
SELECT throws_ok($$CREATE TRIGGER valuecheck_enforce AFTER INSERT ON tap_own_orders
                   FOR EACH ROW EXECUTE FUNCTION valuecheck.enforce('product=sku', 'price=price', 'approval=approval')$$,
    '42501', NULL,
    'rep cannot put the valuecheck trigger on a table of their own');

-- turning checking off
SELECT is(valuecheck.floor_for('SKU-1'), 100::numeric,
    'rep: floor_for() works (and the library is loaded in this session)');
SELECT throws_ok($$SET valuecheck.enabled = off$$,
    '42501', 'permission denied to set parameter "valuecheck.enabled"',
    'rep cannot SET valuecheck.enabled = off');
SELECT throws_ok($$SET LOCAL valuecheck.enabled = off$$,
    '42501', 'permission denied to set parameter "valuecheck.enabled"',
    'rep cannot SET LOCAL valuecheck.enabled = off');
SELECT throws_ok($$SELECT set_config('valuecheck.enabled', 'off', false)$$,
    '42501', 'permission denied to set parameter "valuecheck.enabled"',
    'rep cannot set_config(valuecheck.enabled, off)');
SELECT throws_ok($$ALTER ROLE vc_tap_rep SET valuecheck.enabled = off$$,
    '42501', NULL, 'rep cannot ALTER ROLE ... SET valuecheck.enabled');
SELECT throws_ok($$CREATE FUNCTION pg_temp.vc_tap_unchecked() RETURNS void LANGUAGE sql
                     SET valuecheck.enabled = off AS 'SELECT 1'$$,
    '42501', 'permission denied to set parameter "valuecheck.enabled"',
    'rep cannot create a function that runs with valuecheck.enabled = off');
SELECT is(current_setting('valuecheck.enabled'), 'on',
    'valuecheck.enabled is still on for the rep');
SELECT throws_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-1', 98)$$,
    '23514', NULL, 'rep: a below-floor line is still refused after the attempts');

SELECT throws_ok($$ALTER TABLE tap_orders DISABLE TRIGGER valuecheck_enforce$$,
    '42501', 'must be owner of table tap_orders', 'rep cannot disable the valuecheck trigger');
SELECT throws_ok($$ALTER TABLE tap_orders DISABLE TRIGGER ALL$$,
    '42501', 'must be owner of table tap_orders', 'rep cannot disable all triggers');
SELECT throws_ok($$DROP TRIGGER valuecheck_enforce ON tap_orders$$,
    '42501', NULL, 'rep cannot drop the valuecheck trigger');
SELECT throws_ok($$SET session_replication_role = replica$$,
    '42501', 'permission denied to set parameter "session_replication_role"',
    'rep cannot SET session_replication_role = replica');
SELECT throws_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-1', 97)$$,
    '23514', NULL, 'rep: a below-floor line is still refused');

RESET ROLE;
SELECT ok((SELECT tgenabled = 'O' FROM pg_trigger
            WHERE tgrelid = 'public.tap_orders'::regclass AND tgname = 'valuecheck_enforce'),
    'the valuecheck trigger is still there and enabled');

-- ---------------------------------------------------------------------
-- Warn mode: the rep's below-floor line is logged with the owner's rights
-- ---------------------------------------------------------------------
SELECT valuecheck.protect('public.tap_orders', product => 'sku', price => 'price',
                          list_price => 'list_price', rep => 'rep',
                          approval => 'approval', mode => 'warn');
SET LOCAL ROLE vc_tap_rep;
SELECT lives_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-1', 90)$$,
    'rep, warn mode: a below-floor line is written (with a warning)');
SELECT throws_ok($$SELECT count(*) FROM valuecheck.violations$$,
    '42501', 'permission denied for table violations',
    'rep cannot read valuecheck.violations either');
RESET ROLE;
SELECT results_eq($$SELECT relation, product, rep, price, floor, logged_by::text COLLATE "default" FROM valuecheck.violations$$,
    $$VALUES ('public.tap_orders', 'SKU-1', 'vc_tap_rep', 90::numeric, 100::numeric, 'vc_tap_rep')$$,
    'warn mode: the violation is recorded, logged_by the rep');
SELECT results_eq($$SELECT price FROM tap_orders WHERE price = 90$$,
    $$VALUES (90::numeric)$$,
    'warn mode: the line itself was stored');
SELECT valuecheck.protect('public.tap_orders', product => 'sku', price => 'price',
                          list_price => 'list_price', rep => 'rep',
                          approval => 'approval', mode => 'enforce');

-- ---------------------------------------------------------------------
-- Approvals: granted by the manager, used by the rep (README, "Approvals")
-- ---------------------------------------------------------------------
SET LOCAL ROLE vc_tap_manager;
SELECT valuecheck.approve('SKU-1', 80, 'strategic customer', max_uses => 1) AS tap_approval \gset
SELECT ok(:'tap_approval'::bigint > 0, 'manager can approve');
SELECT throws_ok($$INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-9', 1)$$,
    '42501', 'permission denied for table floors', 'manager cannot write floors');
SELECT throws_ok($$UPDATE valuecheck.approvals SET max_uses = NULL$$,
    '42501', 'permission denied for table approvals',
    'manager cannot write approvals directly (only through approve/revoke_approval)');
SELECT throws_ok($$SELECT valuecheck.protect('tap_orders', product => 'sku', price => 'price')$$,
    '42501', 'permission denied for function protect', 'manager cannot execute protect()');

SET LOCAL ROLE vc_tap_rep;
SELECT lives_ok(format($$INSERT INTO tap_orders (sku, price, approval) VALUES ('SKU-1', 85, %L)$$,
                       :'tap_approval'),
    'rep: a below-floor line naming the approval is accepted');
SELECT throws_ok(format($$INSERT INTO tap_orders (sku, price, approval) VALUES ('SKU-1', 85, %L)$$,
                        :'tap_approval'),
    '23514', NULL, 'rep: the approval''s only use is spent');
SELECT throws_ok($$UPDATE valuecheck.approvals SET uses = 0$$,
    '42501', 'permission denied for table approvals', 'rep cannot reset the uses of an approval');
SELECT throws_ok(format($$SELECT valuecheck.revoke_approval(%s)$$, :'tap_approval'),
    '42501', 'permission denied for function revoke_approval', 'rep cannot revoke the approval');
RESET ROLE;

SELECT results_eq(format($$SELECT uses, max_uses, approved_by::text COLLATE "default" FROM valuecheck.approvals
                            WHERE approval_id = %s$$, :'tap_approval'),
    $$VALUES (1, 1, 'vc_tap_manager')$$,
    'the approval has one use taken and was approved_by the manager');
SELECT results_eq($$SELECT approval_id, relation, product, rep, price, floor, logged_by::text COLLATE "default"
                      FROM valuecheck.exceptions$$,
    format($$VALUES (%s::bigint, 'public.tap_orders', 'SKU-1', 'vc_tap_rep', 85::numeric,
                     100::numeric, 'vc_tap_rep')$$, :'tap_approval'),
    'the exception is recorded (with the owner''s rights), logged_by the rep');

SET LOCAL ROLE vc_tap_manager;
SELECT lives_ok(format($$SELECT valuecheck.revoke_approval(%s)$$, :'tap_approval'),
    'manager can revoke the approval');
RESET ROLE;
SELECT results_eq(format($$SELECT revoked_at IS NOT NULL, revoked_by::text COLLATE "default" FROM valuecheck.approvals
                            WHERE approval_id = %s$$, :'tap_approval'),
    $$VALUES (true, 'vc_tap_manager')$$,
    'the approval is revoked, revoked_by the manager');

-- ---------------------------------------------------------------------
-- Marketing owns the floors once granted (README, "Value floors")
-- ---------------------------------------------------------------------
SET LOCAL ROLE vc_tap_marketing;
SELECT lives_ok($$INSERT INTO valuecheck.floors (product, min_price, note) VALUES ('SKU-2', 50, 'launch')$$,
    'marketing can insert a floor');
SELECT lives_ok($$UPDATE valuecheck.floors SET min_price = 110 WHERE product = 'SKU-1'$$,
    'marketing can update a floor');
SELECT lives_ok($$DELETE FROM valuecheck.floors WHERE product = 'SKU-2'$$,
    'marketing can delete a floor');
SELECT lives_ok($$INSERT INTO valuecheck.floors (product, max_discount) VALUES ('SKU-3', 0.2)$$,
    'marketing can insert a max_discount floor');
SELECT throws_ok($$INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 120)$$,
    '23P01', NULL, 'marketing: an overlapping floor is still refused');
SELECT throws_ok($$SELECT valuecheck.approve('SKU-1', 1, 'promo')$$,
    '42501', 'permission denied for function approve', 'marketing cannot approve');
SELECT throws_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-1', 200)$$,
    '42501', 'permission denied for table tap_orders', 'marketing cannot write orders');
SELECT throws_ok($$UPDATE valuecheck.approvals SET uses = 0$$,
    '42501', 'permission denied for table approvals', 'marketing cannot write approvals');
RESET ROLE;
SELECT results_eq($$SELECT product, min_price, max_discount, created_by = session_user
                      FROM valuecheck.floors ORDER BY floor_id$$,
    $$VALUES ('SKU-1', 110::numeric, NULL::numeric, true), ('SKU-3', NULL, 0.2, false)$$,
    'floors after marketing''s changes');
SELECT results_eq($$SELECT created_by::text COLLATE "default" FROM valuecheck.floors WHERE product = 'SKU-3'$$,
    $$VALUES ('vc_tap_marketing')$$,
    'a floor marketing created has created_by marketing');

-- marketing's raise is in force for the rep's next statement
SET LOCAL ROLE vc_tap_rep;
SELECT throws_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-1', 105)$$,
    '23514', 'price 105 for product "SKU-1" on "tap_orders" is below its value floor 110',
    'rep: the floor marketing raised is in force');
SELECT lives_ok($$INSERT INTO tap_orders (sku, price) VALUES ('SKU-2', 1)$$,
    'rep: the floor marketing deleted is gone');
-- an order stays updatable without touching mapped columns, even below
-- today's floor (README, "Protecting a table")
SELECT lives_ok($$UPDATE tap_orders SET list_price = list_price WHERE price = 100$$,
    'rep: a line now below the raised floor stays updatable when no mapped column changes');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
