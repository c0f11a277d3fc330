-- The baseline of `make bench`, variant (c): the floor check as a DBA would
-- write it by hand, a PL/pgSQL row trigger that looks the floor up with a
-- query per row.  Same rules as valuecheck (README, "Value floors"): among the
-- product's floors in force now (the write's time), the one matching the
-- line's campaign (or any campaign) and currency (or any; the bench table
-- has no currency column, so only "any currency" floors match) -- the most
-- specific wins, campaign first, then currency; the floor is the higher of
-- min_price and list_price * (1 - max_discount).
--
-- It is an AFTER ROW trigger, like valuecheck's, so that (c) and (b) pay
-- the same trigger machinery and the comparison is about the check itself
-- (a BEFORE ROW version would in addition switch COPY off its batched
-- multi-insert path).
--
-- Used by make_variant in test/bench/lib.sh:
--   CREATE TRIGGER bench_plpgsql_floor_check
--       AFTER INSERT OR UPDATE OF sku, unit_price, list_price, campaign ON orders
--       FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_floor_check();

CREATE OR REPLACE FUNCTION bench_plpgsql_floor_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    f         record;
    floor     numeric;
BEGIN
    SELECT fl.floor_id, fl.min_price, fl.max_discount INTO f
      FROM valuecheck.floors fl
     WHERE fl.product = NEW.sku
       AND fl.valid @> now()
       AND (fl.campaign IS NULL OR fl.campaign = NEW.campaign)
       AND fl.currency IS NULL
     ORDER BY fl.campaign IS NOT NULL DESC, fl.currency IS NOT NULL DESC
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;                    -- unknown product: allowed
    END IF;

    IF f.max_discount IS NULL THEN
        floor := f.min_price;
    ELSIF NEW.list_price IS NULL THEN
        IF f.min_price IS NULL THEN
            RAISE EXCEPTION 'list price for product "%" on "%" is NULL, but its value floor is a maximum discount from the list price',
                NEW.sku, TG_TABLE_NAME
                USING ERRCODE = 'check_violation', CONSTRAINT = 'valuecheck_floor';
        END IF;
        floor := f.min_price;
    ELSE
        floor := greatest(f.min_price, NEW.list_price * (1 - f.max_discount));
    END IF;

    IF NEW.unit_price IS NULL OR NEW.unit_price = 'NaN' THEN
        RAISE EXCEPTION 'price % for product "%" on "%" cannot be checked against its value floor',
            coalesce(NEW.unit_price::text, 'NULL'), NEW.sku, TG_TABLE_NAME
            USING ERRCODE = 'check_violation', CONSTRAINT = 'valuecheck_floor';
    END IF;
    IF NEW.unit_price < floor THEN
        RAISE EXCEPTION 'price % for product "%" on "%" is below its value floor %',
            NEW.unit_price, NEW.sku, TG_TABLE_NAME, floor
            USING ERRCODE = 'check_violation', CONSTRAINT = 'valuecheck_floor',
                  DETAIL = format('Value floor %s applies.', f.floor_id);
    END IF;
    RETURN NULL;
END
$$;
