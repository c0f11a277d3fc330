-- valuecheck.cluster_violations() and cluster_exceptions() (README,
-- section Citus) on a single server: this server's rows, with NULL node
-- name and port, for whoever may SELECT the log table, and nobody else.
-- make test-citus checks them on a Citus cluster.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
CREATE EXTENSION valuecheck;
DROP ROLE IF EXISTS regress_vc_logs_reader;
DROP ROLE IF EXISTS regress_vc_logs_outsider;
RESET client_min_messages;
SET timezone = 'UTC';
\set VERBOSITY terse

CREATE TABLE logs_orders (id int PRIMARY KEY, sku text, price numeric, approval text);
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 100);
SELECT valuecheck.protect('logs_orders', product => 'sku', price => 'price', mode => 'warn',
                          approval => 'approval');
SELECT valuecheck.approve('SKU-1', 80, 'test') AS appr \gset
INSERT INTO logs_orders VALUES (1, 'SKU-1', 90, NULL), (2, 'SKU-1', 95, NULL),
                               (3, 'SKU-1', 85, :'appr');

CREATE ROLE regress_vc_logs_reader;
CREATE ROLE regress_vc_logs_outsider;
GRANT SELECT ON valuecheck.violations, valuecheck.exceptions TO regress_vc_logs_reader;

SET ROLE regress_vc_logs_reader;
SELECT nodename, nodeport, relation, product, price, floor, logged_by
  FROM valuecheck.cluster_violations();
SELECT nodename, nodeport, relation, approval_id = :appr AS approval, price, floor
  FROM valuecheck.cluster_exceptions();
-- the same rows as the tables
SELECT (SELECT count(*) FROM valuecheck.cluster_violations()) = (SELECT count(*) FROM valuecheck.violations) AS same,
       (SELECT count(*) FROM valuecheck.cluster_exceptions()) = (SELECT count(*) FROM valuecheck.exceptions) AS same;
RESET ROLE;

SET ROLE regress_vc_logs_outsider;
SELECT count(*) FROM valuecheck.cluster_violations();
SELECT count(*) FROM valuecheck.cluster_exceptions();
SELECT * FROM valuecheck.node_logs('violations');
SELECT * FROM valuecheck.node_logs('floors');
RESET ROLE;

-- row-level security on a log table is not bypassed: refused
ALTER TABLE valuecheck.violations ENABLE ROW LEVEL SECURITY;
SET ROLE regress_vc_logs_reader;
SELECT count(*) FROM valuecheck.cluster_violations();
RESET ROLE;
ALTER TABLE valuecheck.violations DISABLE ROW LEVEL SECURITY;

-- clean up
SET client_min_messages = warning;
DROP TABLE logs_orders;
REVOKE ALL ON valuecheck.violations, valuecheck.exceptions FROM regress_vc_logs_reader;
DROP ROLE regress_vc_logs_reader;
DROP ROLE regress_vc_logs_outsider;
DELETE FROM valuecheck.violations;
DELETE FROM valuecheck.exceptions;
DELETE FROM valuecheck.approvals;
DELETE FROM valuecheck.floors;
RESET client_min_messages;
