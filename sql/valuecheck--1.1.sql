/* valuecheck 1.1: value floors, enforcement, approvals, leakage aggregates */

\echo Use "CREATE EXTENSION valuecheck" to load this file. \quit

GRANT USAGE ON SCHEMA valuecheck TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Value floors (README, "Value floors")
-- ---------------------------------------------------------------------------

CREATE TABLE valuecheck.floors (
    floor_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product      text NOT NULL,
    campaign     text,
    currency     text,
    min_price    numeric,
    max_discount numeric,
    valid        tstzrange NOT NULL DEFAULT '[-infinity,infinity)',
    note         text,
    created_by   name DEFAULT current_user,
    created_at   timestamptz DEFAULT now(),
    CONSTRAINT floors_bound_required
        CHECK (min_price IS NOT NULL OR max_discount IS NOT NULL),
    -- NaN sorts above every number in PostgreSQL, so ">= 0" alone lets it in;
    -- the text test also refuses Infinity (and works on servers without it).
    CONSTRAINT floors_min_price_valid
        CHECK (min_price >= 0
               AND min_price::pg_catalog.text <> ALL ('{NaN,Infinity}'::pg_catalog.text[])),
    CONSTRAINT floors_max_discount_valid
        CHECK (max_discount >= 0 AND max_discount < 1),
    CONSTRAINT floors_valid_not_empty
        CHECK (NOT pg_catalog.isempty(valid)),
    -- The concurrency-proof backstop of floors_check(): a NULL campaign or
    -- currency is one value, "any", so it is encoded apart from every real one.
    CONSTRAINT floors_no_overlap EXCLUDE USING gist (
        product WITH =,
        (COALESCE('=' || campaign, '*')) WITH =,
        (COALESCE('=' || currency, '*')) WITH =,
        valid WITH &&)
);

COMMENT ON TABLE valuecheck.floors IS
    'value floors: lowest net unit price per product (campaign, currency, validity)';

CREATE INDEX floors_product_idx ON valuecheck.floors (product);

SELECT pg_catalog.pg_extension_config_dump('valuecheck.floors', '');
SELECT pg_catalog.pg_extension_config_dump('valuecheck.floors_floor_id_seq', '');

GRANT SELECT ON valuecheck.floors TO PUBLIC;
GRANT SELECT ON valuecheck.floors_floor_id_seq TO PUBLIC;

-- A clear message for overlapping floors; floors_no_overlap stays the rule
-- that holds under concurrency.  In C: one probe of floors_product_idx per
-- row (src/floors_check.c).
CREATE FUNCTION valuecheck.floors_check() RETURNS trigger
AS 'MODULE_PATHNAME', 'valuecheck_floors_check'
LANGUAGE C;

CREATE TRIGGER floors_check
    BEFORE INSERT OR UPDATE ON valuecheck.floors
    FOR EACH ROW EXECUTE FUNCTION valuecheck.floors_check();

-- Every backend keeps a memo of the floors it looked up; a change to them
-- empties it in this transaction at once and in every other session when it
-- commits.
CREATE FUNCTION valuecheck.floors_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'valuecheck_floors_changed'
LANGUAGE C;

CREATE TRIGGER floors_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON valuecheck.floors
    FOR EACH STATEMENT EXECUTE FUNCTION valuecheck.floors_changed();

REVOKE EXECUTE ON FUNCTION valuecheck.floors_check() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION valuecheck.floors_changed() FROM PUBLIC;

CREATE FUNCTION valuecheck.floor_for(product text,
                                     at timestamptz DEFAULT now(),
                                     campaign text DEFAULT NULL,
                                     currency text DEFAULT NULL,
                                     list_price numeric DEFAULT NULL)
RETURNS numeric
AS 'MODULE_PATHNAME', 'valuecheck_floor_for'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION valuecheck.floor_for(text, timestamptz, text, text, numeric) IS
    'effective value floor price of a product at a time, or NULL where none applies';

-- ---------------------------------------------------------------------------
-- Logs written by the enforcement trigger (with the extension owner's rights)
-- ---------------------------------------------------------------------------

CREATE TABLE valuecheck.violations (
    violation_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    relation     text NOT NULL,
    product      text,
    campaign     text,
    rep          text,
    price        numeric,
    floor        numeric,
    floor_id     bigint,
    logged_at    timestamptz NOT NULL DEFAULT now(),
    logged_by    name NOT NULL DEFAULT current_user
);

COMMENT ON TABLE valuecheck.violations IS
    'below-floor lines written to tables protected in warn mode';

SELECT pg_catalog.pg_extension_config_dump('valuecheck.violations', '');
SELECT pg_catalog.pg_extension_config_dump('valuecheck.violations_violation_id_seq', '');

-- ---------------------------------------------------------------------------
-- Approvals (README, "Approvals")
-- ---------------------------------------------------------------------------

CREATE TABLE valuecheck.approvals (
    approval_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product     text NOT NULL,
    campaign    text,
    rep         text,
    min_price   numeric NOT NULL,
    max_uses    integer,
    uses        integer NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    reason      text NOT NULL,
    approved_by name DEFAULT current_user,
    approved_at timestamptz DEFAULT now(),
    revoked_at  timestamptz,
    revoked_by  name,
    CONSTRAINT approvals_max_uses_positive CHECK (max_uses > 0),
    CONSTRAINT approvals_uses_in_range CHECK (uses >= 0 AND uses <= max_uses),
    CONSTRAINT approvals_reason_not_blank CHECK (btrim(reason) <> '')
);

COMMENT ON TABLE valuecheck.approvals IS
    'exceptions to value floors granted by sales managers';

SELECT pg_catalog.pg_extension_config_dump('valuecheck.approvals', '');
SELECT pg_catalog.pg_extension_config_dump('valuecheck.approvals_approval_id_seq', '');

CREATE TABLE valuecheck.exceptions (
    exception_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    relation     text NOT NULL,
    approval_id  bigint NOT NULL,
    product      text,
    campaign     text,
    rep          text,
    price        numeric,
    floor        numeric,
    logged_at    timestamptz NOT NULL DEFAULT now(),
    logged_by    name NOT NULL DEFAULT current_user
);

COMMENT ON TABLE valuecheck.exceptions IS
    'below-floor lines accepted because an approval covered them';

CREATE INDEX exceptions_approval_idx ON valuecheck.exceptions (approval_id);

SELECT pg_catalog.pg_extension_config_dump('valuecheck.exceptions', '');
SELECT pg_catalog.pg_extension_config_dump('valuecheck.exceptions_exception_id_seq', '');

CREATE FUNCTION valuecheck.approve(product text,
                                   min_price numeric,
                                   reason text,
                                   expires_at timestamptz DEFAULT now() + interval '7 days',
                                   campaign text DEFAULT NULL,
                                   rep text DEFAULT NULL,
                                   max_uses integer DEFAULT 1)
RETURNS bigint
AS 'MODULE_PATHNAME', 'valuecheck_approve'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION valuecheck.revoke_approval(approval_id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'valuecheck_revoke_approval'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

REVOKE EXECUTE ON FUNCTION valuecheck.approve(text, numeric, text, timestamptz, text, text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION valuecheck.revoke_approval(bigint) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Protecting tables (README, "Protecting a table")
-- ---------------------------------------------------------------------------

-- A relation's name as messages show it: its own name, or the OID's text
-- form for one that does not exist (any more).
CREATE FUNCTION valuecheck.relation_name(rel regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT COALESCE((SELECT c.relname::text FROM pg_catalog.pg_class c
                  WHERE c.oid OPERATOR(pg_catalog.=) rel),
                rel::text)
$$;

CREATE FUNCTION valuecheck.enforce() RETURNS trigger
AS 'MODULE_PATHNAME', 'valuecheck_enforce'
LANGUAGE C;

REVOKE EXECUTE ON FUNCTION valuecheck.enforce() FROM PUBLIC;

-- The mapping as the enforcement trigger reads it from its own arguments.
CREATE FUNCTION valuecheck.trigger_mapping(tgargs bytea, tgnargs smallint,
    OUT product name, OUT price name, OUT list_price name, OUT quantity name,
    OUT campaign name, OUT rep name, OUT currency name, OUT ordered_at name,
    OUT approval name, OUT mode text, OUT unknown_product text)
RETURNS record
AS 'MODULE_PATHNAME', 'valuecheck_trigger_mapping'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Refuses trigger arguments that name a missing column or one of an
-- unusable type, with the trigger's own checks (protect() calls it).
CREATE FUNCTION valuecheck.check_mapping(rel regclass, args text[])
RETURNS void
AS 'MODULE_PATHNAME', 'valuecheck_check_mapping'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE VIEW valuecheck.protected AS
SELECT t.tgrelid::pg_catalog.regclass AS relation,
       m.product, m.price, m.list_price, m.quantity, m.campaign, m.rep,
       m.currency, m.ordered_at, m.approval, m.mode, m.unknown_product
  FROM pg_catalog.pg_trigger t,
       LATERAL valuecheck.trigger_mapping(t.tgargs, t.tgnargs) m
 WHERE t.tgfoid OPERATOR(pg_catalog.=) 'valuecheck.enforce()'::pg_catalog.regprocedure
   AND t.tgparentid OPERATOR(pg_catalog.=) 0;

COMMENT ON VIEW valuecheck.protected IS
    'tables protected by valuecheck and their column mapping';

CREATE FUNCTION valuecheck.protect(rel regclass,
                                   product text,
                                   price text,
                                   list_price text DEFAULT NULL,
                                   quantity text DEFAULT NULL,
                                   campaign text DEFAULT NULL,
                                   rep text DEFAULT NULL,
                                   currency text DEFAULT NULL,
                                   ordered_at text DEFAULT NULL,
                                   approval text DEFAULT NULL,
                                   mode text DEFAULT 'enforce',
                                   unknown_product text DEFAULT 'allow')
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
-- Citus refuses triggers on distributed tables unless this is on; it is on
-- for this call alone, which creates valuecheck's own trigger and no other
SET citus.enable_unsafe_triggers = on
AS $$
DECLARE
    kind      "char";
    parent    regclass;
    child     regclass;
    args      text[];
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'table to protect must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = rel;
    IF kind IS NULL OR kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', valuecheck.relation_name(rel)
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Only plain and partitioned tables can be protected.';
    END IF;
    IF product IS NULL OR price IS NULL THEN
        RAISE EXCEPTION 'the product and price columns must be given'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF mode IS NULL OR mode NOT IN ('enforce', 'warn') THEN
        RAISE EXCEPTION 'invalid mode %', COALESCE(quote_literal(mode), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid modes are ''enforce'' and ''warn''.';
    END IF;
    IF unknown_product IS NULL OR unknown_product NOT IN ('allow', 'reject') THEN
        RAISE EXCEPTION 'invalid unknown_product %', COALESCE(quote_literal(unknown_product), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid values are ''allow'' and ''reject''.';
    END IF;

    -- A partition is covered by its protected ancestor: a second trigger
    -- would check (and consume approvals) twice.
    SELECT a.relid INTO parent
      FROM pg_partition_ancestors(rel) a
      JOIN pg_trigger t ON t.tgrelid = a.relid
     WHERE a.relid <> rel
       AND t.tgfoid = 'valuecheck.enforce()'::regprocedure
       AND t.tgparentid = 0
     LIMIT 1;
    IF parent IS NOT NULL THEN
        RAISE EXCEPTION 'table "%" is a partition of protected table "%"',
                valuecheck.relation_name(rel),
                valuecheck.relation_name(parent)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Change the protection of the partitioned table instead.';
    END IF;

    -- ... and a partition protected on its own would clash with the clone
    SELECT t.tgrelid INTO child
      FROM pg_partition_tree(rel) p
      JOIN pg_trigger t ON t.tgrelid = p.relid
     WHERE p.relid <> rel
       AND t.tgfoid = 'valuecheck.enforce()'::regprocedure
       AND t.tgparentid = 0
     LIMIT 1;
    IF child IS NOT NULL THEN
        RAISE EXCEPTION 'partition "%" of table "%" is protected on its own',
                valuecheck.relation_name(child),
                valuecheck.relation_name(rel)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Unprotect the partition first, then protect the partitioned table.';
    END IF;

    -- the trigger's arguments, checked by the trigger's own code (columns
    -- exist, types fit their roles)
    SELECT pg_catalog.array_agg(m.role || '=' || m.colname ORDER BY m.ord)
             || ARRAY['mode=' || mode, 'unknown_product=' || unknown_product]
      INTO args
      FROM (VALUES (1, 'product', protect.product),
                   (2, 'price', protect.price),
                   (3, 'list_price', protect.list_price),
                   (4, 'quantity', protect.quantity),
                   (5, 'campaign', protect.campaign),
                   (6, 'rep', protect.rep),
                   (7, 'currency', protect.currency),
                   (8, 'ordered_at', protect.ordered_at),
                   (9, 'approval', protect.approval)) AS m(ord, role, colname)
     WHERE m.colname IS NOT NULL;
    PERFORM valuecheck.check_mapping(rel, args);

    -- Taking a use of an approval is a write to valuecheck.approvals from
    -- the trigger; on Citus that trigger runs on a worker's shard, where the
    -- write cannot join the writer's distributed transaction.
    IF approval IS NOT NULL AND (valuecheck.citus_table_info(rel)).is_citus THEN
        RAISE EXCEPTION 'approvals are single-node: table "%" is a Citus distributed table',
                valuecheck.relation_name(rel)
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'An approval''s use would be taken from the trigger on a worker, where it cannot be counted with the writer''s transaction.',
                  HINT = 'Protect the table without an approval column.';
    END IF;

    -- replace only our own trigger: one of that name running another
    -- function is not ours to drop
    IF EXISTS (SELECT 1 FROM pg_trigger t
                WHERE t.tgrelid = rel AND t.tgname = 'valuecheck_enforce'
                  AND t.tgfoid <> 'valuecheck.enforce()'::regprocedure) THEN
        RAISE EXCEPTION 'table "%" has a trigger "valuecheck_enforce" that does not run valuecheck.enforce()',
                valuecheck.relation_name(rel)
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Rename or drop that trigger, then call valuecheck.protect() again.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger t
                WHERE t.tgrelid = rel AND t.tgname = 'valuecheck_enforce') THEN
        EXECUTE format('DROP TRIGGER valuecheck_enforce ON %s', rel);
    END IF;
    EXECUTE format('CREATE TRIGGER valuecheck_enforce AFTER INSERT OR UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION valuecheck.enforce(%s)',
                   rel, (SELECT string_agg(quote_literal(a.arg), ', ' ORDER BY a.n)
                           FROM unnest(args) WITH ORDINALITY AS a(arg, n)));
END
$$;

CREATE FUNCTION valuecheck.unprotect(rel regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET citus.enable_unsafe_triggers = on
AS $$
DECLARE
    parent regclass;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger t
                    WHERE t.tgrelid = rel
                      AND t.tgname = 'valuecheck_enforce'
                      AND t.tgfoid = 'valuecheck.enforce()'::regprocedure
                      AND t.tgparentid = 0) THEN
        SELECT a.relid INTO parent
          FROM pg_partition_ancestors(rel) a
          JOIN pg_trigger t ON t.tgrelid = a.relid
         WHERE a.relid <> rel
           AND t.tgfoid = 'valuecheck.enforce()'::regprocedure
           AND t.tgparentid = 0
         LIMIT 1;
        IF parent IS NOT NULL THEN
            RAISE EXCEPTION 'table "%" is covered by the protection of its partitioned table "%"',
                    valuecheck.relation_name(rel),
                    valuecheck.relation_name(parent)
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Unprotect the partitioned table instead.';
        END IF;
        RAISE EXCEPTION 'table "%" is not protected by valuecheck',
                valuecheck.relation_name(rel)
            USING ERRCODE = 'undefined_object';
    END IF;
    EXECUTE format('DROP TRIGGER valuecheck_enforce ON %s', rel);
END
$$;

REVOKE EXECUTE ON FUNCTION valuecheck.protect(regclass, text, text, text, text, text, text, text, text, text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION valuecheck.unprotect(regclass) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Discount leakage aggregates (README, "Discount leakage aggregates")
-- ---------------------------------------------------------------------------

-- @@AGGREGATES@@ (section owned by the aggregates work; keep this marker)

-- The transition state of all three aggregates: a real type (not internal)
-- so that distributed planners (Citus) can ship partial states, with a
-- versioned text form (v1:<aggregate> field=... ; see src/leakage_state.c)
-- and a binary form.  Its input functions validate everything they read.
CREATE TYPE valuecheck.leakage_state;

CREATE FUNCTION valuecheck.leakage_state_in(cstring)
RETURNS valuecheck.leakage_state
AS 'MODULE_PATHNAME', 'valuecheck_leakage_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION valuecheck.leakage_state_out(valuecheck.leakage_state)
RETURNS cstring
AS 'MODULE_PATHNAME', 'valuecheck_leakage_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION valuecheck.leakage_state_recv(internal)
RETURNS valuecheck.leakage_state
AS 'MODULE_PATHNAME', 'valuecheck_leakage_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION valuecheck.leakage_state_send(valuecheck.leakage_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'valuecheck_leakage_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE valuecheck.leakage_state (
    INPUT = valuecheck.leakage_state_in,
    OUTPUT = valuecheck.leakage_state_out,
    RECEIVE = valuecheck.leakage_state_recv,
    SEND = valuecheck.leakage_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE valuecheck.leakage_state IS
    'transition state of discount_leakage, floor_leakage and leakage (exact sums, counts, the largest discount)';

CREATE TYPE valuecheck.leakage_summary AS (
    lines             bigint,
    units             numeric,
    list_revenue      numeric,
    net_revenue       numeric,
    discount          numeric,
    discount_rate     numeric,
    discounted_lines  bigint,
    max_discount_rate numeric,
    below_floor_lines bigint,
    floor_leakage     numeric
);

COMMENT ON TYPE valuecheck.leakage_summary IS
    'result of valuecheck.leakage(): revenue, discount and below-floor leakage of a set of order lines';

-- The final functions: one per aggregate.
CREATE FUNCTION valuecheck.discount_leakage_final(valuecheck.leakage_state)
RETURNS numeric
AS 'MODULE_PATHNAME', 'valuecheck_discount_leakage_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION valuecheck.floor_leakage_final(valuecheck.leakage_state)
RETURNS numeric
AS 'MODULE_PATHNAME', 'valuecheck_floor_leakage_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION valuecheck.leakage_final(valuecheck.leakage_state)
RETURNS valuecheck.leakage_summary
AS 'MODULE_PATHNAME', 'valuecheck_leakage_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Adds two partial states (parallel query, Citus); not strict: a NULL
-- first state takes a copy of the second.
CREATE FUNCTION valuecheck.leakage_state_combine(valuecheck.leakage_state, valuecheck.leakage_state)
RETURNS valuecheck.leakage_state
AS 'MODULE_PATHNAME', 'valuecheck_leakage_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The aggregates and their transition and inverse transition functions,
-- one set per signature.  The transition and inverse functions are not
-- strict (the state starts NULL; rows with a NULL required input are
-- skipped inside), and update the state in place when called as aggregates.
-- The inverse returns NULL where a row cannot be taken out exactly (the
-- largest discount rate or the largest display scale leaving): PostgreSQL
-- then recomputes the window frame.
--
-- Aggregates take no DEFAULT arguments: the shorter calls (quantity 1, no
-- floor) are overloads.  A smallint, integer or bigint quantity is read
-- directly by C functions of its own (_int2, _int4, _int8; SQL would
-- otherwise cast every quantity to numeric before the call); the result is
-- the same as with the quantity cast to numeric (display scale 0).  All
-- three integer types have an overload, so that no call with a smallint
-- column is ambiguous.
DO $generate$
DECLARE
    s record;
    types text;         -- the argument types, for the support functions
    c_suffix text;      -- the C functions of an integer quantity
BEGIN
    FOR s IN
        SELECT * FROM (VALUES
        -- aggregate, its arguments, its comment
        ('discount_leakage', 'list_price numeric, price numeric',
         'sum((list_price - price) * quantity), quantity 1'),
        ('discount_leakage', 'list_price numeric, price numeric, quantity numeric',
         'sum((list_price - price) * quantity): revenue given away below list price'),
        ('floor_leakage', 'price numeric, floor numeric',
         'sum(floor - price) over lines below their floor, quantity 1'),
        ('floor_leakage', 'price numeric, floor numeric, quantity numeric',
         'sum((floor - price) * quantity) over lines below their floor (0 if none)'),
        ('leakage', 'list_price numeric, price numeric',
         'discount leakage summary of order lines, quantity 1, no floor'),
        ('leakage', 'list_price numeric, price numeric, quantity numeric',
         'discount leakage summary of order lines, no floor'),
        ('leakage', 'list_price numeric, price numeric, quantity numeric, floor numeric',
         'discount leakage summary of order lines: revenue, discount, largest discount rate, below-floor leakage')
        ) AS numeric_signatures(agg, args, comment)
        UNION ALL
        SELECT v.agg, replace(v.args, '%', q.type), format(v.comment, q.type)
          FROM (VALUES ('smallint', 1), ('integer', 2), ('bigint', 3)) AS q(type, ord),
               (VALUES
        ('discount_leakage', 'list_price numeric, price numeric, quantity %', 1,
         'sum((list_price - price) * quantity): revenue given away below list price (%s quantity)'),
        ('floor_leakage', 'price numeric, floor numeric, quantity %', 2,
         'sum((floor - price) * quantity) over lines below their floor (0 if none; %s quantity)'),
        ('leakage', 'list_price numeric, price numeric, quantity %', 3,
         'discount leakage summary of order lines, no floor (%s quantity)'),
        ('leakage', 'list_price numeric, price numeric, quantity %, floor numeric', 4,
         'discount leakage summary of order lines: revenue, discount, largest discount rate, below-floor leakage (%s quantity)')
               ) AS v(agg, args, ord, comment)
    LOOP
        types := regexp_replace(s.args, '(^|, )[a-z_]+ ', '\1', 'g');
        c_suffix := CASE WHEN types LIKE '%smallint%' THEN '_int2'
                         WHEN types LIKE '%integer%' THEN '_int4'
                         WHEN types LIKE '%bigint%' THEN '_int8'
                         ELSE '' END;
        EXECUTE format('CREATE FUNCTION valuecheck.%1$s_trans(valuecheck.leakage_state, %2$s) '
                       'RETURNS valuecheck.leakage_state '
                       'AS %3$L, %4$L LANGUAGE C IMMUTABLE PARALLEL SAFE',
                       s.agg, types, 'MODULE_PATHNAME',
                       'valuecheck_' || s.agg || '_trans' || c_suffix);
        EXECUTE format('CREATE FUNCTION valuecheck.%1$s_inv(valuecheck.leakage_state, %2$s) '
                       'RETURNS valuecheck.leakage_state '
                       'AS %3$L, %4$L LANGUAGE C IMMUTABLE PARALLEL SAFE',
                       s.agg, types, 'MODULE_PATHNAME',
                       'valuecheck_' || s.agg || '_inv' || c_suffix);
        EXECUTE format('CREATE AGGREGATE valuecheck.%1$s(%2$s) ('
                       '  SFUNC = valuecheck.%1$s_trans, STYPE = valuecheck.leakage_state,'
                       '  FINALFUNC = valuecheck.%1$s_final, FINALFUNC_MODIFY = READ_ONLY,'
                       '  COMBINEFUNC = valuecheck.leakage_state_combine,'
                       '  MSFUNC = valuecheck.%1$s_trans, MINVFUNC = valuecheck.%1$s_inv,'
                       '  MSTYPE = valuecheck.leakage_state,'
                       '  MFINALFUNC = valuecheck.%1$s_final, MFINALFUNC_MODIFY = READ_ONLY,'
                       '  PARALLEL = SAFE)',
                       s.agg, s.args);
        EXECUTE format('COMMENT ON AGGREGATE valuecheck.%s(%s) IS %L', s.agg, types, s.comment);
    END LOOP;
END
$generate$;

-- ---------------------------------------------------------------------------
-- Reports (README, "Leakage report and audit")
-- ---------------------------------------------------------------------------

CREATE FUNCTION valuecheck.floor_detail(product text,
                                        at timestamptz DEFAULT now(),
                                        campaign text DEFAULT NULL,
                                        currency text DEFAULT NULL,
                                        list_price numeric DEFAULT NULL,
                                        OUT floor_id bigint, OUT floor numeric)
RETURNS record
AS 'MODULE_PATHNAME', 'valuecheck_floor_detail'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION valuecheck.floor_detail(text, timestamptz, text, text, numeric) IS
    'the deciding value floor of a line: its id and price';

CREATE FUNCTION valuecheck.parse_approval_id(value text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'valuecheck_parse_approval_id'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION valuecheck.parse_approval_id(text) IS
    'the approval id an approval column value names, or NULL';

-- The reports read mapped columns the way the trigger does (src/mapped_value.c):
-- key columns by their type's output function, prices and quantities as
-- numeric, ordered_at as timestamptz.  Never a cast or an operator of the
-- column's type, which the table's owner may have defined: the reports run
-- with the caller's rights.
CREATE FUNCTION valuecheck.mapped_text(value anyelement)
RETURNS text
AS 'MODULE_PATHNAME', 'valuecheck_mapped_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION valuecheck.mapped_text(anyelement) IS
    'a mapped key column''s text form, as the enforcement trigger reads it';

CREATE FUNCTION valuecheck.mapped_numeric(value anyelement)
RETURNS numeric
AS 'MODULE_PATHNAME', 'valuecheck_mapped_numeric'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION valuecheck.mapped_numeric(anyelement) IS
    'a mapped price or quantity column as numeric, as the enforcement trigger reads it';

CREATE FUNCTION valuecheck.mapped_time(value anyelement)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'valuecheck_mapped_time'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION valuecheck.mapped_time(anyelement) IS
    'a mapped ordered_at column as timestamptz';

-- valuecheck.mapped_<reader>(t.<column>), or NULL for an unmapped column.
CREATE FUNCTION valuecheck.mapped_expression(col name, reader text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE WHEN col IS NOT NULL THEN format('valuecheck.mapped_%s(t.%I)', reader, col) END $$;

-- SQL expressions over a protected table's mapped columns, for the reports.
-- Identifiers are quoted with %I; nothing else from the catalog is spliced.
CREATE FUNCTION valuecheck.mapping_expressions(rel regclass,
    OUT product text, OUT price text, OUT list_price text, OUT quantity text,
    OUT campaign text, OUT rep text, OUT currency text, OUT ordered_at text,
    OUT approval text)
RETURNS record
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
BEGIN
    SELECT * INTO m FROM valuecheck.protected p WHERE p.relation = rel;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table "%" is not protected by valuecheck',
                valuecheck.relation_name(rel)
            USING ERRCODE = 'undefined_object',
                  HINT = 'Protect it with valuecheck.protect() first.';
    END IF;
    IF m.mode NOT IN ('enforce', 'warn') THEN
        RAISE EXCEPTION 'the protection of table "%" cannot be read: %',
                valuecheck.relation_name(rel),
                m.mode
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Protect it again with valuecheck.protect().';
    END IF;
    product    := valuecheck.mapped_expression(m.product, 'text');
    price      := valuecheck.mapped_expression(m.price, 'numeric');
    list_price := valuecheck.mapped_expression(m.list_price, 'numeric');
    quantity   := COALESCE(valuecheck.mapped_expression(m.quantity, 'numeric'),
                           '1::pg_catalog.numeric');
    campaign   := COALESCE(valuecheck.mapped_expression(m.campaign, 'text'),
                           'NULL::pg_catalog.text');
    rep        := COALESCE(valuecheck.mapped_expression(m.rep, 'text'),
                           'NULL::pg_catalog.text');
    currency   := COALESCE(valuecheck.mapped_expression(m.currency, 'text'),
                           'NULL::pg_catalog.text');
    ordered_at := COALESCE(valuecheck.mapped_expression(m.ordered_at, 'time'),
                           'NULL::pg_catalog.timestamptz');
    approval   := COALESCE(valuecheck.mapped_expression(m.approval, 'text'),
                           'NULL::pg_catalog.text');
END
$$;

CREATE FUNCTION valuecheck.leakage_report(rel regclass,
                                          since timestamptz DEFAULT '-infinity',
                                          until timestamptz DEFAULT 'infinity')
RETURNS TABLE (rep text, campaign text, lines bigint, units numeric,
               list_revenue numeric, net_revenue numeric, discount numeric,
               discount_rate numeric, discounted_lines bigint,
               max_discount_rate numeric, below_floor_lines bigint,
               floor_leakage numeric, level text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e record;
    bounded boolean := NOT ((since IS NULL OR since = '-infinity'::timestamptz)
                            AND (until IS NULL OR until = 'infinity'::timestamptz));
    filter text := '';
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'table to report on must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    e := valuecheck.mapping_expressions(rel);
    IF e.list_price IS NULL THEN
        RAISE EXCEPTION 'table "%" has no list price mapping',
                valuecheck.relation_name(rel)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call valuecheck.protect() again with list_price => ''<column>''.';
    END IF;
    IF bounded THEN
        -- a NULL ordered_at (or none mapped) compares as NULL: the line is
        -- out.  The bounds are parameters ($1, $2), not literals: a
        -- timestamptz's text form does not always read back as the same
        -- time (DateStyle SQL or Postgres prints zone abbreviations, such as
        -- IST for Asia/Kolkata, that input reads as another zone).
        filter := format(' WHERE (%1$s OPERATOR(pg_catalog.>=) $1 OR $1 IS NULL)'
                         '   AND (%1$s OPERATOR(pg_catalog.<) $2 OR $2 IS NULL)'
                         '   AND %1$s IS NOT NULL',
                         e.ordered_at);
    END IF;
    -- Lines are summarised per (rep, campaign) by the C aggregate (pushed to
    -- the workers on Citus); the subtotals and the grand total are added up
    -- from those summaries, which gives exactly what leakage() would give
    -- over their lines (sums of exact sums; the rate is the README's division, discount / list_revenue).
    RETURN QUERY EXECUTE format(
        'WITH g AS MATERIALIZED ('
        '  SELECT %1$s AS rep, %2$s AS campaign,'
        '         valuecheck.leakage(%3$s, %4$s, %5$s,'
        '             valuecheck.floor_for(%6$s, COALESCE(%7$s, pg_catalog.now()),'
        '                                  %2$s, %8$s, %3$s)) AS s'
        '    FROM %9$s t%10$s'
        '   GROUP BY 1, 2)'
        'SELECT r.rep, r.campaign, r.lines, r.units, r.list_revenue, r.net_revenue,'
        '       r.discount,'
        '       CASE WHEN r.list_revenue OPERATOR(pg_catalog.<>) 0'
        '            THEN r.discount OPERATOR(pg_catalog./) r.list_revenue END,'
        '       r.discounted_lines, r.max_discount_rate, r.below_floor_lines,'
        '       r.floor_leakage,'
        '       CASE WHEN r.rep_rolled OPERATOR(pg_catalog.=) 1 THEN ''total'''
        '            WHEN r.campaign_rolled OPERATOR(pg_catalog.=) 1 THEN ''rep'''
        '            ELSE ''rep, campaign'' END'
        '  FROM (SELECT g.rep, g.campaign,'
        '               GROUPING(g.rep) AS rep_rolled,'
        '               GROUPING(g.campaign) AS campaign_rolled,'
        '               pg_catalog.sum((g.s).lines)::pg_catalog.int8 AS lines,'
        '               pg_catalog.sum((g.s).units) AS units,'
        '               pg_catalog.sum((g.s).list_revenue) AS list_revenue,'
        '               pg_catalog.sum((g.s).net_revenue) AS net_revenue,'
        '               pg_catalog.sum((g.s).discount) AS discount,'
        '               pg_catalog.sum((g.s).discounted_lines)::pg_catalog.int8 AS discounted_lines,'
        '               pg_catalog.max((g.s).max_discount_rate) AS max_discount_rate,'
        '               pg_catalog.sum((g.s).below_floor_lines)::pg_catalog.int8 AS below_floor_lines,'
        '               pg_catalog.sum((g.s).floor_leakage) AS floor_leakage'
        '          FROM g'
        '         GROUP BY ROLLUP (g.rep, g.campaign)) r'
        ' ORDER BY r.rep_rolled, r.rep COLLATE "C", r.campaign_rolled, r.campaign COLLATE "C"',
        e.rep, e.campaign, e.list_price, e.price, e.quantity,
        e.product, e.ordered_at, e.currency, rel, filter)
    USING since, until;
END
$$;

COMMENT ON FUNCTION valuecheck.leakage_report(regclass, timestamptz, timestamptz) IS
    'discount leakage of a protected table by rep and campaign, with subtotals per rep and a total (column level)';

-- Is "rel" a table in Citus's metadata (distributed, reference or
-- Citus-managed local), and its distribution column if it has one.  False
-- where Citus is not installed.
CREATE FUNCTION valuecheck.citus_table_info(rel regclass,
    OUT is_citus boolean, OUT distribution_column name)
RETURNS record
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    is_citus := false;
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN;
    END IF;
    EXECUTE 'SELECT true, CASE WHEN p.partkey IS NOT NULL'
            '                  THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END'
            '  FROM pg_catalog.pg_dist_partition p'
            ' WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1'
       INTO is_citus, distribution_column USING rel;
    is_citus := COALESCE(is_citus, false);
END
$$;

-- The SQL expression (over alias t) for audit()'s row_key: a JSON object
-- of the row's primary key columns, each as its text form (the type's
-- output function, as the reports read key columns); a table without a
-- primary key gives its "ctid", and a distributed one also its
-- distribution column (which names the shard the ctid is in).
CREATE FUNCTION valuecheck.row_key_expression(rel regclass, distribution_column name)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cols text;
BEGIN
    SELECT string_agg(format('%L, valuecheck.mapped_text(t.%I)', a.attname, a.attname),
                      ', ' ORDER BY k.ord)
      INTO cols
      FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = rel AND i.indisprimary;
    IF cols IS NULL THEN
        cols := '''ctid'', t.ctid::pg_catalog.text';
        IF distribution_column IS NOT NULL THEN
            cols := format('%L, valuecheck.mapped_text(t.%I), ',
                           distribution_column, distribution_column) || cols;
        END IF;
    END IF;
    RETURN format('pg_catalog.jsonb_build_object(%s)', cols);
END
$$;

CREATE FUNCTION valuecheck.audit(rel regclass)
RETURNS TABLE (relation regclass, row_id tid, product text,
               campaign text, rep text, price numeric, floor numeric,
               floor_id bigint, approval_id bigint, approved boolean,
               row_key jsonb)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e    record;
    part regclass;
    c    record;
    r    record;
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'table to audit must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    e := valuecheck.mapping_expressions(rel);
    -- Each table that holds rows (the table, or each leaf partition) is
    -- read on its own and named here, on this node: on Citus a row's
    -- tableoid and ctid are its shard's, which mean nothing here.  There
    -- row_id is NULL and row_key alone identifies the row.
    FOR part IN SELECT p.relid FROM pg_partition_tree(rel) p WHERE p.isleaf
                UNION ALL
                SELECT rel WHERE NOT EXISTS (SELECT FROM pg_partition_tree(rel))
                ORDER BY 1
    LOOP
        c := valuecheck.citus_table_info(part);
        -- The approvals are read once (a local table; on Citus the lines'
        -- table may be distributed and is joined with this intermediate result).
        FOR r IN EXECUTE format(
            'WITH a AS MATERIALIZED ('
            '  SELECT a.approval_id, a.product, a.campaign, a.rep, a.min_price'
            '    FROM valuecheck.approvals a WHERE a.revoked_at IS NULL)'
            'SELECT l.row_id, l.row_key, l.product, l.campaign, l.rep, l.price,'
            '       (l.f).floor AS floor, (l.f).floor_id AS floor_id, l.approval_id,'
            '       a.approval_id IS NOT NULL AS approved'
            '  FROM (SELECT t.ctid AS row_id, %10$s AS row_key,'
            '               %1$s AS product, %2$s AS campaign, %3$s AS rep, %4$s AS price,'
            '               valuecheck.parse_approval_id(%5$s) AS approval_id,'
            '               valuecheck.floor_detail(%1$s, COALESCE(%6$s, pg_catalog.now()),'
            '                                       %2$s, %7$s, %8$s) AS f'
            '          FROM ONLY %9$s t) l'
            '  LEFT JOIN a'
            '    ON a.approval_id OPERATOR(pg_catalog.=) l.approval_id'
            '   AND a.product OPERATOR(pg_catalog.=) l.product'
            '   AND (a.campaign IS NULL OR a.campaign OPERATOR(pg_catalog.=) l.campaign)'
            '   AND (a.rep IS NULL OR a.rep OPERATOR(pg_catalog.=) l.rep)'
            '   AND a.min_price OPERATOR(pg_catalog.<=) l.price'
            ' WHERE l.price OPERATOR(pg_catalog.<) (l.f).floor'
            ' ORDER BY %11$s',
            e.product, e.campaign, e.rep, e.price, e.approval, e.ordered_at,
            e.currency, COALESCE(e.list_price, 'NULL::pg_catalog.numeric'), part,
            valuecheck.row_key_expression(part, c.distribution_column),
            CASE WHEN c.is_citus THEN 'l.row_key' ELSE 'l.row_id' END)
        LOOP
            relation := part;
            row_id := CASE WHEN NOT c.is_citus THEN r.row_id END;
            row_key := r.row_key;
            product := r.product;
            campaign := r.campaign;
            rep := r.rep;
            price := r.price;
            floor := r.floor;
            floor_id := r.floor_id;
            approval_id := r.approval_id;
            approved := r.approved;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION valuecheck.audit(regclass) IS
    'lines of a protected table below the floor in force at their time';

-- ---------------------------------------------------------------------------
-- The logs of every node of a Citus cluster (README, section Citus)
-- ---------------------------------------------------------------------------

-- One row per node: this node's with NULL rows (its table is read by the
-- caller), every other node's rows as a JSON array, read as the log table's
-- owner once the caller's SELECT on this node's table is checked
-- (src/cluster_log.c).
CREATE FUNCTION valuecheck.node_logs(log text,
    OUT nodename text, OUT nodeport integer, OUT rows json)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'valuecheck_node_logs'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

CREATE FUNCTION valuecheck.cluster_violations()
RETURNS TABLE (nodename text, nodeport integer, violation_id bigint,
               relation text, product text, campaign text, rep text,
               price numeric, floor numeric, floor_id bigint,
               logged_at timestamptz, logged_by name)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT n.nodename, n.nodeport, v.violation_id, v.relation, v.product,
       v.campaign, v.rep, v.price, v.floor, v.floor_id, v.logged_at, v.logged_by
  FROM valuecheck.node_logs('violations') n,
       LATERAL (SELECT l.* FROM valuecheck.violations l WHERE n.rows IS NULL
                UNION ALL
                SELECT j.* FROM pg_catalog.json_populate_recordset(NULL::valuecheck.violations, n.rows) j) v
 ORDER BY n.nodename COLLATE pg_catalog."C", n.nodeport, v.violation_id
$$;

COMMENT ON FUNCTION valuecheck.cluster_violations() IS
    'valuecheck.violations rows of every node of a Citus cluster (of this server alone without Citus)';

CREATE FUNCTION valuecheck.cluster_exceptions()
RETURNS TABLE (nodename text, nodeport integer, exception_id bigint,
               relation text, approval_id bigint, product text, campaign text,
               rep text, price numeric, floor numeric,
               logged_at timestamptz, logged_by name)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT n.nodename, n.nodeport, x.exception_id, x.relation, x.approval_id,
       x.product, x.campaign, x.rep, x.price, x.floor, x.logged_at, x.logged_by
  FROM valuecheck.node_logs('exceptions') n,
       LATERAL (SELECT l.* FROM valuecheck.exceptions l WHERE n.rows IS NULL
                UNION ALL
                SELECT j.* FROM pg_catalog.json_populate_recordset(NULL::valuecheck.exceptions, n.rows) j) x
 ORDER BY n.nodename COLLATE pg_catalog."C", n.nodeport, x.exception_id
$$;

COMMENT ON FUNCTION valuecheck.cluster_exceptions() IS
    'valuecheck.exceptions rows of every node of a Citus cluster (of this server alone without Citus)';
