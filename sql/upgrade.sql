-- The upgrade path.  Every released version is installed as it shipped and
-- updated to the newest one, in the suite, so a missing or broken
-- sql/valuecheck--A--B.sql script fails here.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS valuecheck CASCADE;
RESET client_min_messages;
SET timezone = 'UTC';
SET datestyle = 'ISO';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- the default version is the newest
SELECT default_version FROM pg_available_extensions WHERE name = 'valuecheck';
-- the versions that can be installed, and the paths between them
SELECT version FROM pg_available_extension_versions WHERE name = 'valuecheck' ORDER BY version;
SELECT source, target, path FROM pg_extension_update_paths('valuecheck')
 WHERE path IS NOT NULL ORDER BY source, target;

CREATE EXTENSION valuecheck VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'valuecheck';
-- data written under 1.0 must survive every update
INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-1', 90);
CREATE TABLE upgrade_orders (sku text, price numeric);
SELECT valuecheck.protect('upgrade_orders', product => 'sku', price => 'price');
INSERT INTO upgrade_orders VALUES ('SKU-1', 95);

-- When 1.1 ships, add here:
--   ALTER EXTENSION valuecheck UPDATE TO '1.1';
--   SELECT extversion FROM pg_extension WHERE extname = 'valuecheck';
-- followed by checks of what 1.1 changed, and repeat for every later
-- version, so each sql/valuecheck--A--B.sql script runs in the suite.

-- to the default version: with only 1.0 released, nothing to do
ALTER EXTENSION valuecheck UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'valuecheck';

-- after the updates: the floors, the protection and enforcement still work
SELECT product, min_price FROM valuecheck.floors;
SELECT relation, product, price FROM valuecheck.protected;
INSERT INTO upgrade_orders VALUES ('SKU-1', 80);
SELECT * FROM upgrade_orders;

DROP TABLE upgrade_orders;
SET client_min_messages = warning;
DROP EXTENSION valuecheck CASCADE;
CREATE EXTENSION valuecheck;
RESET client_min_messages;
