-- The README's Citus walk-through, steps 1 to 3, run by test/citus/run.sh on
-- the coordinator (after CREATE EXTENSION citus on every node and
-- citus_add_node for each worker).

-- 1. valuecheck on the coordinator; Citus creates it (and btree_gist) on every worker.
CREATE EXTENSION valuecheck CASCADE;

-- 2. Floors become a reference table: every node holds a full copy.  The
--    floors table carries valuecheck's own triggers, so Citus wants this
--    setting for the call.
SET citus.enable_unsafe_triggers = on;
SELECT create_reference_table('valuecheck.floors');
RESET citus.enable_unsafe_triggers;

INSERT INTO valuecheck.floors (product, min_price) VALUES ('SKU-A', 90), ('SKU-B', 40);
INSERT INTO valuecheck.floors (product, campaign, min_price) VALUES ('SKU-A', 'spring', 70);
INSERT INTO valuecheck.floors (product, max_discount) VALUES ('SKU-C', 0.25);

-- 3. Orders are distributed, then protected (protect() sets what Citus needs
--    for the trigger itself).
CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    sku         text NOT NULL,
    unit_price  numeric(12,2),
    list_price  numeric(12,2),
    qty         integer NOT NULL DEFAULT 1,
    campaign    text,
    rep         text,
    ordered_at  timestamptz NOT NULL DEFAULT now(),
    approval_id bigint
);
SELECT create_distributed_table('orders', 'id');
SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price',
         list_price => 'list_price', quantity => 'qty', campaign => 'campaign',
         rep => 'rep', ordered_at => 'ordered_at');
