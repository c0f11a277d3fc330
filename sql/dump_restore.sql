-- pg_dump / pg_restore of a database using valuecheck (README, "Backup and restore"):
-- config tables keep their rows, later ids never collide with restored ones,
-- and a table holding historic lines below today's floors restores without
-- error, still protected.  Runs pg_dump and pg_restore from psql (\!), so
-- it needs PGHOST/PGPORT of the server under test, as test/run.sh exports.
SELECT current_database() AS origdb \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS vc_dump_src;
DROP DATABASE IF EXISTS vc_dump_dst;
RESET client_min_messages;
CREATE DATABASE vc_dump_src;
\c vc_dump_src
SET client_min_messages = warning;
CREATE EXTENSION valuecheck CASCADE;
RESET client_min_messages;
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 90), ('SKU-2', 40);
CREATE TABLE orders (id int PRIMARY KEY, sku text, price numeric(12,2), approval_id bigint);
SELECT valuecheck.protect('orders', product => 'sku', price => 'price', approval => 'approval_id');
-- history loaded with checking off: two lines below today's floors
SET valuecheck.enabled = off;
INSERT INTO orders VALUES (1, 'SKU-1', 95), (2, 'SKU-1', 70), (3, 'SKU-2', 30);
RESET valuecheck.enabled;
SELECT valuecheck.approve('SKU-1', 80, 'restore test', now() + interval '30 days', max_uses => 5) AS approval;
INSERT INTO orders VALUES (4, 'SKU-1', 85, 1);
\! pg_dump -Fc -d vc_dump_src -f "${TMPDIR:-/tmp}/vc_dump_regress.$PPID.dump" && createdb vc_dump_dst && pg_restore -d vc_dump_dst "${TMPDIR:-/tmp}/vc_dump_regress.$PPID.dump"; echo "dump and restore exit status: $?"; rm -f "${TMPDIR:-/tmp}/vc_dump_regress.$PPID.dump"
\c vc_dump_dst
SELECT id, sku, price, approval_id FROM orders ORDER BY id;
SELECT floor_id, product, min_price FROM valuecheck.floors ORDER BY floor_id;
SELECT approval_id, product, uses, max_uses FROM valuecheck.approvals ORDER BY approval_id;
SELECT count(*) AS exceptions FROM valuecheck.exceptions;
SELECT relation, product, price, approval FROM valuecheck.protected;
-- still protected after the restore
INSERT INTO orders VALUES (5, 'SKU-1', 60);
-- the approval keeps its count of uses
INSERT INTO orders VALUES (5, 'SKU-1', 85, 1);
SELECT uses FROM valuecheck.approvals WHERE approval_id = 1;
-- new ids continue after the restored ones
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-3', 10) RETURNING floor_id;
SELECT valuecheck.approve('SKU-2', 20, 'after restore') AS approval;
-- the audit finds the historic lines
SELECT row_id IS NOT NULL AS has_row, product, price, floor FROM valuecheck.audit('orders') ORDER BY price;
\c :origdb
DROP DATABASE vc_dump_src;
DROP DATABASE vc_dump_dst;
