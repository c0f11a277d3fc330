-- README, "Approvals": approvals granted by a sales manager
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- the uses of an approval
CREATE FUNCTION pg_temp.uses(id bigint) RETURNS text LANGUAGE sql AS $$
    SELECT uses || ' of ' || COALESCE(max_uses::text, 'unlimited')
      FROM valuecheck.approvals WHERE approval_id = id
$$;

INSERT INTO valuecheck.floors (product, campaign, min_price, max_discount) VALUES
    ('SKU-1', NULL,     90,   NULL),    -- 1
    ('SKU-1', 'SPRING', 70,   NULL),    -- 2
    ('SKU-2', NULL,     50,   NULL),    -- 3
    ('DISC',  NULL,     NULL, 0.2);     -- 4

-- ---------------------------------------------------------------------
-- approve(): validation
-- ---------------------------------------------------------------------
SELECT valuecheck.approve('SKU-1', 80, '');
SELECT valuecheck.approve('SKU-1', 80, '   ');
SELECT valuecheck.approve('SKU-1', 80, E' \t\n ');
SELECT valuecheck.approve('SKU-1', 80, NULL);
SELECT valuecheck.approve('SKU-1', 80, 'big deal', expires_at => '2000-01-01 00:00:00+00');
SELECT * FROM vc_test.err($$SELECT valuecheck.approve('SKU-1', 80, 'big deal', expires_at => now())$$)
 WHERE field = 'sqlstate';
SELECT * FROM vc_test.err($$SELECT valuecheck.approve('SKU-1', 80, 'big deal', expires_at => now() - interval '1 second')$$)
 WHERE field = 'sqlstate';
SELECT valuecheck.approve('SKU-1', 80, 'big deal', expires_at => NULL);
SELECT valuecheck.approve('SKU-1', 80, 'big deal', max_uses => 0);
SELECT valuecheck.approve('SKU-1', 80, 'big deal', max_uses => -1);
SELECT valuecheck.approve('SKU-1', -0.01, 'big deal');
SELECT valuecheck.approve('SKU-1', 'NaN', 'big deal');
SELECT valuecheck.approve('SKU-1', 'Infinity', 'big deal');
SELECT valuecheck.approve('SKU-1', '-Infinity', 'big deal');
SELECT valuecheck.approve('SKU-1', NULL, 'big deal');
SELECT valuecheck.approve(NULL, 80, 'big deal');
SELECT * FROM vc_test.err($$SELECT valuecheck.approve('SKU-1', 80, '  ')$$)
 WHERE field IN ('sqlstate', 'message', 'hint');
SELECT count(*) AS approvals FROM valuecheck.approvals;

-- valid approvals
SELECT valuecheck.approve('SKU-1', 80, 'strategic customer') AS a_default \gset
SELECT valuecheck.approve('SKU-1', 75, 'unlimited', max_uses => NULL) AS a_unlimited \gset
SELECT valuecheck.approve('SKU-1', 60, 'all arguments', now() + interval '1 day',
                          'SPRING', 'ann', 3) AS a_all \gset
SELECT valuecheck.approve(product => 'SKU-1', min_price => 0, reason => 'named',
                          expires_at => now() + interval '1 hour', campaign => NULL,
                          rep => NULL, max_uses => 2) AS a_named \gset
SELECT :a_default AS a_default, :a_unlimited AS a_unlimited, :a_all AS a_all, :a_named AS a_named;
SELECT approval_id, product, campaign, rep, min_price, max_uses, uses, reason,
       approved_by = current_user AS approved_by_me,
       expires_at - approved_at AS valid_for,
       approved_at <= now() AS approved_before_now, revoked_at, revoked_by
  FROM valuecheck.approvals ORDER BY approval_id;
-- the default expiry is now() + 7 days
BEGIN;
SELECT valuecheck.approve('SKU-2', 1, 'expiry check') AS a_tmp \gset
SELECT expires_at = now() + interval '7 days' AS seven_days, approved_at = now() AS approved_now
  FROM valuecheck.approvals WHERE approval_id = :a_tmp;
ROLLBACK;

-- ---------------------------------------------------------------------
-- revoke_approval()
-- ---------------------------------------------------------------------
SELECT valuecheck.approve('SKU-1', 50, 'to be revoked') AS a_revoked \gset
SELECT valuecheck.revoke_approval(:a_revoked);
SELECT valuecheck.revoke_approval(:a_revoked);
SELECT valuecheck.revoke_approval(999999);
SELECT valuecheck.revoke_approval(-1);
SELECT * FROM vc_test.err($$SELECT valuecheck.revoke_approval(999999)$$) WHERE field IN ('sqlstate', 'message');
SELECT * FROM vc_test.err($$SELECT valuecheck.revoke_approval($$ || :a_revoked || $$)$$) WHERE field IN ('sqlstate', 'message');
-- the row stays, for the record
SELECT approval_id, product, min_price, reason, revoked_at IS NOT NULL AS revoked,
       revoked_at <= now() AS revoked_before_now, revoked_by = current_user AS revoked_by_me
  FROM valuecheck.approvals WHERE approval_id = :a_revoked;
-- messages below quote the revocation time: make it a fixed one
UPDATE valuecheck.approvals SET revoked_at = '2024-01-02 03:04:05+00' WHERE approval_id = :a_revoked;

-- ---------------------------------------------------------------------
-- Below-floor lines with an approval
-- ---------------------------------------------------------------------
CREATE TABLE orders (
    id          integer PRIMARY KEY,
    sku         text,
    price       numeric,
    list_price  numeric,
    campaign    text,
    rep         text,
    approval_id bigint,
    status      text
);
SELECT valuecheck.protect('orders', product => 'sku', price => 'price', list_price => 'list_price',
                          campaign => 'campaign', rep => 'rep', approval => 'approval_id');

-- a valid approval: accepted, one use taken, recorded as an exception
INSERT INTO orders (id, sku, price, approval_id) VALUES (1, 'SKU-1', 85, :a_default);
SELECT pg_temp.uses(:a_default);
SELECT exception_id, relation, approval_id, product, campaign, rep, price, floor,
       logged_at <= now() AS logged_before_now, logged_by = current_user AS logged_by_me
  FROM valuecheck.exceptions ORDER BY exception_id;
-- its last use is gone
INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-1', 85, :a_default);
-- the error's fields
SELECT * FROM vc_test.err($$INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-1', 85, $$ || :a_default || $$)$$);
-- the hint names the approval column
INSERT INTO orders (id, sku, price) VALUES (2, 'SKU-1', 85);
-- an approval that does not exist
INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-1', 85, 999999);
INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-1', 85, 0);
INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-1', 85, -1);
-- revoked
INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-1', 85, :a_revoked);
-- for another product
INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-2', 45, :a_unlimited);
-- for another campaign (the approval names SPRING, the line another or none)
INSERT INTO orders (id, sku, price, campaign, rep, approval_id) VALUES (2, 'SKU-1', 65, 'SUMMER', 'ann', :a_all);
INSERT INTO orders (id, sku, price, campaign, rep, approval_id) VALUES (2, 'SKU-1', 85, NULL, 'ann', :a_all);
-- for another rep (the approval names ann, the line bob or nobody)
INSERT INTO orders (id, sku, price, campaign, rep, approval_id) VALUES (2, 'SKU-1', 65, 'SPRING', 'bob', :a_all);
INSERT INTO orders (id, sku, price, campaign, rep, approval_id) VALUES (2, 'SKU-1', 65, 'SPRING', NULL, :a_all);
INSERT INTO orders (id, sku, price, campaign, rep, approval_id) VALUES (2, 'SKU-1', 65, 'SPRING', 'Ann', :a_all);
-- below the approved minimum
INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-1', 74.99, :a_unlimited);
INSERT INTO orders (id, sku, price, campaign, rep, approval_id) VALUES (2, 'SKU-1', 59, 'SPRING', 'ann', :a_all);
-- expired (judged at the write's time; the expiry is moved into the past)
SELECT valuecheck.approve('SKU-1', 10, 'expires') AS a_expired \gset
UPDATE valuecheck.approvals SET expires_at = '2024-01-01 00:00:00+00' WHERE approval_id = :a_expired;
INSERT INTO orders (id, sku, price, approval_id) VALUES (2, 'SKU-1', 85, :a_expired);
-- matching ones: campaign and rep as set, any where NULL
INSERT INTO orders (id, sku, price, campaign, rep, approval_id) VALUES (2, 'SKU-1', 65, 'SPRING', 'ann', :a_all);
INSERT INTO orders (id, sku, price, campaign, rep, approval_id) VALUES (3, 'SKU-1', 75, 'SUMMER', 'bob', :a_unlimited);
INSERT INTO orders (id, sku, price, approval_id) VALUES (4, 'SKU-1', 75, :a_unlimited), (5, 'SKU-1', 80, :a_unlimited);
SELECT id, sku, price, campaign, rep, approval_id FROM orders ORDER BY id;
SELECT approval_id, pg_temp.uses(approval_id) FROM valuecheck.approvals ORDER BY approval_id;
SELECT approval_id, product, campaign, rep, price, floor FROM valuecheck.exceptions ORDER BY exception_id;
-- the uses limit within one statement: the second line finds none left,
-- and the whole statement is undone, its uses too
SELECT valuecheck.approve('SKU-1', 80, 'one use') AS a_one \gset
INSERT INTO orders (id, sku, price, approval_id) VALUES (6, 'SKU-1', 85, :a_one), (7, 'SKU-1', 85, :a_one);
SELECT pg_temp.uses(:a_one);
SELECT count(*) AS lines_6_7 FROM orders WHERE id IN (6, 7);

-- ---------------------------------------------------------------------
-- Lines that need no approval, and lines an approval cannot rescue
-- ---------------------------------------------------------------------
SELECT count(*) AS exceptions_before FROM valuecheck.exceptions;
-- at or above the floor: no use taken, no exception, whatever the column holds
INSERT INTO orders (id, sku, price, approval_id) VALUES (10, 'SKU-1', 90, :a_one);
INSERT INTO orders (id, sku, price, approval_id) VALUES (11, 'SKU-1', 95, 999999);
INSERT INTO orders (id, sku, price, approval_id) VALUES (12, 'SKU-1', 95, :a_revoked);
SELECT pg_temp.uses(:a_one);
SELECT count(*) AS exceptions_after FROM valuecheck.exceptions;
-- unpriceable lines are refused, approval or not
INSERT INTO orders (id, sku, price, approval_id) VALUES (13, 'SKU-1', NULL, :a_unlimited);
INSERT INTO orders (id, sku, price, approval_id) VALUES (13, 'SKU-1', 'NaN', :a_unlimited);
SELECT valuecheck.approve('DISC', 0, 'disc') AS a_disc \gset
INSERT INTO orders (id, sku, price, list_price, approval_id) VALUES (13, 'DISC', 50, NULL, :a_disc);
INSERT INTO orders (id, sku, price, list_price, approval_id) VALUES (13, 'DISC', 50, 100, :a_disc);
SELECT pg_temp.uses(:a_disc);
-- an unknown product refused by unknown_product => 'reject', approval or not
SELECT valuecheck.protect('orders', product => 'sku', price => 'price', list_price => 'list_price',
                          campaign => 'campaign', rep => 'rep', approval => 'approval_id',
                          unknown_product => 'reject');
SELECT valuecheck.approve('NO-FLOOR', 0, 'no floor', max_uses => NULL) AS a_nofloor \gset
INSERT INTO orders (id, sku, price, approval_id) VALUES (14, 'NO-FLOOR', 5, :a_nofloor);
SELECT valuecheck.protect('orders', product => 'sku', price => 'price', list_price => 'list_price',
                          campaign => 'campaign', rep => 'rep', approval => 'approval_id');
SELECT pg_temp.uses(:a_nofloor);

-- ---------------------------------------------------------------------
-- An approval column of another type: values that are not a valid id
-- ---------------------------------------------------------------------
CREATE TABLE text_orders (id integer, sku text, price numeric, approval text);
SELECT valuecheck.protect('text_orders', product => 'sku', price => 'price', approval => 'approval');
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, 'abc');
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, ' ' || :a_unlimited);
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, :a_unlimited || ' ');
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, '-1');
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, '1e3');
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, '');
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, '99999999999999999999999');
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, E'2\'; DROP TABLE text_orders; --');
-- a valid one
INSERT INTO text_orders VALUES (1, 'SKU-1', 85, :a_unlimited::text);
-- NULL names no approval: an ordinary refusal
INSERT INTO text_orders VALUES (2, 'SKU-1', 85, NULL);
SELECT * FROM text_orders ORDER BY id;
DROP TABLE text_orders;

-- ---------------------------------------------------------------------
-- Warn mode: a valid approval makes an exception, not a violation
-- ---------------------------------------------------------------------
CREATE TABLE warn_orders (id integer, sku text, price numeric, approval_id bigint);
SELECT valuecheck.protect('warn_orders', product => 'sku', price => 'price',
                          approval => 'approval_id', mode => 'warn');
SELECT valuecheck.approve('SKU-1', 80, 'warn mode') AS a_warn \gset
INSERT INTO warn_orders VALUES (1, 'SKU-1', 85, :a_warn);
INSERT INTO warn_orders VALUES (2, 'SKU-1', 85, :a_warn);
INSERT INTO warn_orders VALUES (3, 'SKU-1', 79, 999999);
SELECT pg_temp.uses(:a_warn);
SELECT relation, approval_id, product, price, floor FROM valuecheck.exceptions
 WHERE relation = 'public.warn_orders' ORDER BY exception_id;
SELECT relation, product, price, floor, floor_id FROM valuecheck.violations ORDER BY violation_id;
SELECT * FROM warn_orders ORDER BY id;
DROP TABLE warn_orders;

-- ---------------------------------------------------------------------
-- UPDATE
-- ---------------------------------------------------------------------
SELECT valuecheck.approve('SKU-2', 30, 'update A', max_uses => 2) AS a_upd \gset
SELECT valuecheck.approve('SKU-2', 20, 'update B', max_uses => 1) AS b_upd \gset
INSERT INTO orders (id, sku, price, approval_id) VALUES (20, 'SKU-2', 45, :a_upd);
SELECT pg_temp.uses(:a_upd) AS a_uses;
SELECT count(*) AS exceptions_before FROM valuecheck.exceptions WHERE approval_id IN (:a_upd, :b_upd);
-- a higher price, still below the floor: it cannot widen what the approval
-- covers, so no further use, but recorded
UPDATE orders SET price = 47 WHERE id = 20;
SELECT pg_temp.uses(:a_upd) AS a_uses;
SELECT approval_id, price, floor FROM valuecheck.exceptions WHERE approval_id IN (:a_upd, :b_upd) ORDER BY exception_id;
-- a lower price takes a use, as an insert would
UPDATE orders SET price = 40 WHERE id = 20;
SELECT pg_temp.uses(:a_upd) AS a_uses;
-- below the approval's minimum: refused
UPDATE orders SET price = 29 WHERE id = 20;
-- a change of a column that is not mapped is not checked at all
UPDATE orders SET status = 'shipped' WHERE id = 20;
SELECT count(*) AS exceptions_now FROM valuecheck.exceptions WHERE approval_id IN (:a_upd, :b_upd);
-- switching to another approval takes one of its uses
UPDATE orders SET approval_id = :b_upd, price = 25 WHERE id = 20;
SELECT pg_temp.uses(:a_upd) AS a_uses, pg_temp.uses(:b_upd) AS b_uses;
-- B has no use left, but the line keeps it at a price not lower: no use needed
UPDATE orders SET price = 25.50 WHERE id = 20;
SELECT pg_temp.uses(:b_upd) AS b_uses;
-- a lower price would need another use of B
UPDATE orders SET price = 21 WHERE id = 20;
-- switching back to A needs a use of A, and A is used up
UPDATE orders SET approval_id = :a_upd, price = 35 WHERE id = 20;
-- a line that held no approval cannot take it either
INSERT INTO orders (id, sku, price) VALUES (21, 'SKU-2', 55);
UPDATE orders SET price = 45, approval_id = :a_upd WHERE id = 21;
-- the line at id 20 keeps B: still fine at a higher price
UPDATE orders SET price = 31 WHERE id = 20;
-- a line that was at or above its floor and names an approval takes a use
-- when it goes below
SELECT valuecheck.approve('SKU-2', 30, 'update C', max_uses => 5) AS c_upd \gset
INSERT INTO orders (id, sku, price, approval_id) VALUES (22, 'SKU-2', 60, :c_upd);
SELECT pg_temp.uses(:c_upd) AS c_uses;
UPDATE orders SET price = 40 WHERE id = 22;
SELECT pg_temp.uses(:c_upd) AS c_uses;
-- back at the floor: no use, no exception
UPDATE orders SET price = 50 WHERE id = 22;
SELECT pg_temp.uses(:c_upd) AS c_uses;
-- and below it again: the old row did not need the approval, so a use is taken
UPDATE orders SET price = 45 WHERE id = 22;
SELECT pg_temp.uses(:c_upd) AS c_uses;
-- the old row is judged against today's floor: once the floor is lowered to
-- the old price, the old row did not need the approval, and going below
-- takes a use
UPDATE valuecheck.floors SET min_price = 45 WHERE floor_id = 3;
UPDATE orders SET price = 44 WHERE id = 22;
SELECT pg_temp.uses(:c_upd) AS c_uses;
-- with the floor back at 50 the old row (44) needed it too: a price not
-- lower takes no use
UPDATE valuecheck.floors SET min_price = 50 WHERE floor_id = 3;
UPDATE orders SET price = 44.50 WHERE id = 22;
SELECT pg_temp.uses(:c_upd) AS c_uses;
-- revocation and expiry stop new uses, not edits that cannot widen an old
-- one: a kept approval at a price not lower is still accepted
SELECT valuecheck.revoke_approval(:c_upd);
UPDATE valuecheck.approvals SET revoked_at = '2024-01-02 03:04:05+00' WHERE approval_id = :c_upd;
UPDATE orders SET price = 45.50 WHERE id = 22;
-- but a lower price would be a new use, which a revoked approval cannot give
UPDATE orders SET price = 42 WHERE id = 22;
UPDATE orders SET status = 'closed' WHERE id = 22;
UPDATE valuecheck.approvals SET expires_at = '2024-01-01 00:00:00+00' WHERE approval_id = :b_upd;
UPDATE orders SET price = 32 WHERE id = 20;
UPDATE orders SET price = 30 WHERE id = 20;
SELECT id, sku, price, approval_id, status FROM orders WHERE id BETWEEN 20 AND 22 ORDER BY id;
SELECT approval_id, price, floor FROM valuecheck.exceptions
 WHERE approval_id IN (:a_upd, :b_upd, :c_upd) ORDER BY exception_id;

-- ---------------------------------------------------------------------
-- A rolled-back use never happened
-- ---------------------------------------------------------------------
SELECT valuecheck.approve('SKU-1', 80, 'rollback', max_uses => 1) AS a_rb \gset
BEGIN;
INSERT INTO orders (id, sku, price, approval_id) VALUES (30, 'SKU-1', 85, :a_rb);
SELECT pg_temp.uses(:a_rb) AS inside;
SELECT count(*) AS exceptions_inside FROM valuecheck.exceptions WHERE approval_id = :a_rb;
ROLLBACK;
SELECT pg_temp.uses(:a_rb) AS after_rollback;
SELECT count(*) AS exceptions_after FROM valuecheck.exceptions WHERE approval_id = :a_rb;
BEGIN;
SAVEPOINT s;
INSERT INTO orders (id, sku, price, approval_id) VALUES (30, 'SKU-1', 85, :a_rb);
ROLLBACK TO SAVEPOINT s;
INSERT INTO orders (id, sku, price, approval_id) VALUES (31, 'SKU-1', 86, :a_rb);
COMMIT;
SELECT pg_temp.uses(:a_rb) AS after_savepoint;
SELECT id, price, approval_id FROM orders WHERE id IN (30, 31) ORDER BY id;

-- ---------------------------------------------------------------------
-- Privileges: managers approve; reps can neither approve nor touch the tables
-- ---------------------------------------------------------------------
SELECT has_function_privilege('public', 'valuecheck.approve(text,numeric,text,timestamptz,text,text,integer)', 'EXECUTE') AS approve,
       has_function_privilege('public', 'valuecheck.revoke_approval(bigint)', 'EXECUTE') AS revoke_approval,
       has_table_privilege('public', 'valuecheck.approvals', 'INSERT') AS approvals_insert,
       has_table_privilege('public', 'valuecheck.approvals', 'UPDATE') AS approvals_update,
       has_table_privilege('public', 'valuecheck.exceptions', 'INSERT') AS exceptions_insert;
CREATE ROLE regress_vc_approvals_manager;
CREATE ROLE regress_vc_approvals_rep;
GRANT EXECUTE ON FUNCTION valuecheck.approve(text,numeric,text,timestamptz,text,text,integer),
                          valuecheck.revoke_approval(bigint) TO regress_vc_approvals_manager;
GRANT SELECT, INSERT, UPDATE ON orders TO regress_vc_approvals_rep;
SET ROLE regress_vc_approvals_manager;
SELECT valuecheck.approve('SKU-1', 81, 'granted by a manager', rep => 'regress_vc_approvals_rep') AS a_mgr \gset
INSERT INTO valuecheck.approvals (product, min_price, expires_at, reason)
    VALUES ('SKU-1', 0, 'infinity', 'sneaky');
RESET ROLE;
SELECT approval_id = :a_mgr AS is_it, approved_by, rep, min_price, uses, max_uses
  FROM valuecheck.approvals WHERE reason = 'granted by a manager';
SET ROLE regress_vc_approvals_rep;
SELECT valuecheck.approve('SKU-1', 0, 'self-service');
SELECT valuecheck.revoke_approval(:a_mgr);
UPDATE valuecheck.approvals SET uses = 0;
INSERT INTO valuecheck.exceptions (relation, approval_id) VALUES ('x', 1);
-- the rep's line takes the use; the exception is logged in the rep's name
INSERT INTO orders (id, sku, price, rep, approval_id) VALUES (40, 'SKU-1', 82, current_user, :a_mgr);
-- reusing it is refused
INSERT INTO orders (id, sku, price, rep, approval_id) VALUES (41, 'SKU-1', 82, current_user, :a_mgr);
RESET ROLE;
SELECT pg_temp.uses(:a_mgr);
SELECT relation, product, rep, price, floor, logged_by FROM valuecheck.exceptions
 WHERE approval_id = :a_mgr;
SET ROLE regress_vc_approvals_manager;
SELECT valuecheck.revoke_approval(:a_mgr);
RESET ROLE;
SELECT revoked_by FROM valuecheck.approvals WHERE approval_id = :a_mgr;

DROP TABLE orders;
REVOKE ALL ON FUNCTION valuecheck.approve(text,numeric,text,timestamptz,text,text,integer),
                       valuecheck.revoke_approval(bigint) FROM regress_vc_approvals_manager;
DROP ROLE regress_vc_approvals_manager;
DROP ROLE regress_vc_approvals_rep;
