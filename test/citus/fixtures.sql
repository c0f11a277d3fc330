-- Tables and roles of the scenarios (test/citus/run.sh), after setup.sql.

-- warn mode on a distributed table
CREATE TABLE orders_warn (LIKE orders INCLUDING ALL);
SELECT create_distributed_table('orders_warn', 'id');
SELECT valuecheck.protect('orders_warn', product => 'sku', price => 'unit_price',
         list_price => 'list_price', rep => 'rep', mode => 'warn');

-- approvals on a table of the coordinator alone (single-node: they work)
CREATE TABLE orders_single (LIKE orders INCLUDING ALL);
SELECT valuecheck.protect('orders_single', product => 'sku', price => 'unit_price',
         list_price => 'list_price', rep => 'rep', approval => 'approval_id');

-- protected with an approval column, distributed afterwards
CREATE TABLE orders_late (LIKE orders INCLUDING ALL);
SELECT valuecheck.protect('orders_late', product => 'sku', price => 'unit_price',
         list_price => 'list_price', rep => 'rep', approval => 'approval_id');
SET citus.enable_unsafe_triggers = on;
SELECT create_distributed_table('orders_late', 'id');
RESET citus.enable_unsafe_triggers;

-- roles (Citus creates them on the workers); grants made on the coordinator only
CREATE ROLE rep LOGIN;
CREATE ROLE analyst LOGIN;
CREATE ROLE outsider LOGIN;
CREATE ROLE dba LOGIN;
GRANT SELECT, INSERT, UPDATE ON orders, orders_warn, orders_single, orders_late TO rep;
GRANT SELECT ON valuecheck.violations, valuecheck.exceptions TO analyst;
-- Citus propagates no GRANT on an extension's functions: the DBA who
-- protects tables needs EXECUTE on enforce() on the workers too (the README's
-- one command).
GRANT EXECUTE ON FUNCTION valuecheck.protect(regclass, text, text, text, text, text, text, text, text, text, text, text),
                          valuecheck.unprotect(regclass), valuecheck.enforce() TO dba;
SELECT run_command_on_workers($$GRANT EXECUTE ON FUNCTION valuecheck.enforce() TO dba$$);
ALTER TABLE orders OWNER TO dba;
