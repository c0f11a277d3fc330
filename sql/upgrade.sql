-- The upgrade path.  A database is set up under 1.0 as it shipped, with
-- data in every table, then updated with ALTER EXTENSION valuecheck UPDATE;
-- its catalog must equal a fresh install of the newest version, its data
-- and protections must survive, and enforcement and the reports must work.
-- Runs pg_dump from psql (\!), so it needs PGHOST/PGPORT of the server
-- under test, as test/run.sh exports.
SELECT current_database() AS origdb \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS vc_upgrade_old;
DROP DATABASE IF EXISTS vc_upgrade_new;
RESET client_min_messages;

-- the default version is the newest, and 1.0 updates to it
SELECT default_version FROM pg_available_extensions WHERE name = 'valuecheck';
SELECT version FROM pg_available_extension_versions WHERE name = 'valuecheck' ORDER BY version;
SELECT source, target, path FROM pg_extension_update_paths('valuecheck')
 WHERE path IS NOT NULL ORDER BY source, target;

CREATE DATABASE vc_upgrade_old;
CREATE DATABASE vc_upgrade_new;
\c vc_upgrade_new
SET client_min_messages = warning;
CREATE EXTENSION valuecheck CASCADE;
RESET client_min_messages;

\c vc_upgrade_old
SET client_min_messages = warning;
CREATE EXTENSION valuecheck VERSION '1.0' CASCADE;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT extversion FROM pg_extension WHERE extname = 'valuecheck';

-- data written under 1.0: floors, a protected table with lines, approvals
-- with uses, violations and exceptions
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 90), ('SKU-2', 40);
INSERT INTO valuecheck.floors (product, campaign, min_price) VALUES ('SKU-1', 'SPRING', 80);
CREATE TABLE upgrade_orders (id int PRIMARY KEY, sku text, campaign text, rep text,
                             list_price numeric, price numeric, qty int, approval text);
SELECT valuecheck.protect('upgrade_orders', product => 'sku', price => 'price',
                          list_price => 'list_price', quantity => 'qty',
                          campaign => 'campaign', rep => 'rep', approval => 'approval');
CREATE TABLE upgrade_warned (sku text, price numeric);
SELECT valuecheck.protect('upgrade_warned', product => 'sku', price => 'price', mode => 'warn');
INSERT INTO upgrade_orders VALUES (1, 'SKU-1', NULL, 'ada', 100, 95, 2, NULL),
                                  (2, 'SKU-1', 'SPRING', 'bob', 100, 85, 1, NULL);
SELECT valuecheck.approve('SKU-2', 30, 'upgrade test', max_uses => 3) AS approval \gset
INSERT INTO upgrade_orders VALUES (3, 'SKU-2', NULL, 'ada', 50, 35, 4, :'approval');
INSERT INTO upgrade_warned VALUES ('SKU-2', 10);
SELECT count(*) AS violations FROM valuecheck.violations;
SELECT count(*) AS exceptions FROM valuecheck.exceptions;

ALTER EXTENSION valuecheck UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'valuecheck';

-- the catalog equals a fresh install's
\! bash test/scripts/catalog_diff.sh vc_upgrade_old vc_upgrade_new

-- the data and protections are intact
SELECT floor_id, product, campaign, min_price FROM valuecheck.floors ORDER BY floor_id;
SELECT approval_id, product, min_price, uses, max_uses FROM valuecheck.approvals;
SELECT relation, product, price FROM valuecheck.violations;
SELECT relation, approval_id, product, price, floor FROM valuecheck.exceptions;
SELECT relation, product, price, list_price, quantity, campaign, rep, approval, mode
  FROM valuecheck.protected ORDER BY relation::text;
SELECT id, sku, price FROM upgrade_orders ORDER BY id;
-- pg_dump still keeps the rows of the extension's tables and sequences
SELECT c.relname
  FROM pg_extension e, unnest(e.extconfig) AS r(oid)
  JOIN pg_class c ON c.oid = r.oid
 WHERE e.extname = 'valuecheck' ORDER BY 1;

-- enforcement works after the update, approvals keep their uses
INSERT INTO upgrade_orders VALUES (4, 'SKU-1', NULL, 'ada', 100, 80, 1, NULL);
INSERT INTO upgrade_orders VALUES (4, 'SKU-2', NULL, 'ada', 50, 35, 1, :'approval');
SELECT uses FROM valuecheck.approvals WHERE approval_id = :approval;
INSERT INTO upgrade_warned VALUES ('SKU-1', 1);
SELECT count(*) AS violations FROM valuecheck.violations;
-- and so do the reports
SELECT rep, campaign, lines, list_revenue, net_revenue, below_floor_lines
  FROM valuecheck.leakage_report('upgrade_orders');
SELECT product, price, floor, approval_id, approved FROM valuecheck.audit('upgrade_orders');

\c :origdb
DROP DATABASE vc_upgrade_old;
DROP DATABASE vc_upgrade_new;
