-- Discount-leakage aggregates (README, "Discount leakage aggregates"): results equal to the same
-- arithmetic in SQL numeric, digit for digit; NULLs, empty input, NaN and
-- infinities, values beyond the fast integer path.
CREATE EXTENSION IF NOT EXISTS valuecheck CASCADE;

-- the signatures, and what the aggregates are declared as
SELECT p.oid::regprocedure AS aggregate, p.proparallel, a.aggkind,
       a.aggcombinefn <> 0 AS has_combine,
       a.aggmtransfn <> 0 AND a.aggminvtransfn <> 0 AS moving,
       a.aggtranstype::regtype AS stype, a.aggfinalmodify,
       p.prorettype::regtype AS returns
  FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
 WHERE p.pronamespace = 'valuecheck'::regnamespace
 ORDER BY p.oid::regprocedure::text;

-- their support functions: parallel safe and immutable
SELECT count(*) AS not_safe
  FROM pg_proc p
 WHERE p.pronamespace = 'valuecheck'::regnamespace
   AND p.proname ~ '^((discount_|floor_)?leakage_(trans|inv|final)|leakage_state_.*)$'
   AND p.prokind = 'f'
   AND (p.proparallel <> 's' OR p.provolatile <> 'i');

CREATE SCHEMA lkt;

-- ---------------------------------------------------------------------------
-- The reference: the same arithmetic in SQL over the aggregated rows (list
-- price, price and quantity all non-NULL; a NULL floor is not below), per
-- group g of a query src with columns g, l, p, q, f.
-- ---------------------------------------------------------------------------
CREATE FUNCTION lkt.ref_leakage(src text)
RETURNS TABLE (g int, r valuecheck.leakage_summary)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    SELECT g, CASE WHEN count(*) FILTER (WHERE ok) > 0 THEN ROW(
           count(*) FILTER (WHERE ok),
           sum(q) FILTER (WHERE ok),
           sum(l * q) FILTER (WHERE ok),
           sum(p * q) FILTER (WHERE ok),
           sum(l * q) FILTER (WHERE ok) - sum(p * q) FILTER (WHERE ok),
           CASE WHEN sum(l * q) FILTER (WHERE ok) = 0 THEN NULL
                ELSE (sum(l * q) FILTER (WHERE ok) - sum(p * q) FILTER (WHERE ok))
                     / sum(l * q) FILTER (WHERE ok) END,
           count(*) FILTER (WHERE ok AND p < l),
           max(CASE WHEN l > 0 THEN (l - p) / l END) FILTER (WHERE ok),
           count(*) FILTER (WHERE ok AND p < f),
           COALESCE(sum((f - p) * q) FILTER (WHERE ok AND p < f), 0)
           )::valuecheck.leakage_summary END
      FROM (SELECT d.*, l IS NOT NULL AND p IS NOT NULL AND q IS NOT NULL AS ok
              FROM (%s) d) d
     GROUP BY g $q$, src);
END
$$;

-- Per field, how many groups differ from the reference, as numbers or in
-- their text form (which shows the display scale).
CREATE FUNCTION lkt.check_leakage(src text,
                                  call text DEFAULT 'valuecheck.leakage(l, p, q, f)',
                                  refsrc text DEFAULT NULL)
RETURNS TABLE (groups bigint, null_results bigint, lines bigint, units bigint,
               list_revenue bigint, net_revenue bigint, discount bigint,
               discount_rate bigint, discounted_lines bigint,
               max_discount_rate bigint, below_floor_lines bigint,
               floor_leakage bigint, whole_row bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH mine AS (SELECT g, %2$s AS r FROM (%1$s) s GROUP BY g),
         ref AS (SELECT * FROM lkt.ref_leakage(%3$L))
    SELECT count(*),
           count(*) FILTER (WHERE m.r IS NULL),
           count(*) FILTER (WHERE (m.r).lines IS DISTINCT FROM (f.r).lines),
           count(*) FILTER (WHERE (m.r).units IS DISTINCT FROM (f.r).units
                              OR (m.r).units::text IS DISTINCT FROM (f.r).units::text),
           count(*) FILTER (WHERE (m.r).list_revenue IS DISTINCT FROM (f.r).list_revenue
                              OR (m.r).list_revenue::text IS DISTINCT FROM (f.r).list_revenue::text),
           count(*) FILTER (WHERE (m.r).net_revenue IS DISTINCT FROM (f.r).net_revenue
                              OR (m.r).net_revenue::text IS DISTINCT FROM (f.r).net_revenue::text),
           count(*) FILTER (WHERE (m.r).discount IS DISTINCT FROM (f.r).discount
                              OR (m.r).discount::text IS DISTINCT FROM (f.r).discount::text),
           count(*) FILTER (WHERE (m.r).discount_rate IS DISTINCT FROM (f.r).discount_rate
                              OR (m.r).discount_rate::text IS DISTINCT FROM (f.r).discount_rate::text),
           count(*) FILTER (WHERE (m.r).discounted_lines IS DISTINCT FROM (f.r).discounted_lines),
           count(*) FILTER (WHERE (m.r).max_discount_rate IS DISTINCT FROM (f.r).max_discount_rate
                              OR (m.r).max_discount_rate::text IS DISTINCT FROM (f.r).max_discount_rate::text),
           count(*) FILTER (WHERE (m.r).below_floor_lines IS DISTINCT FROM (f.r).below_floor_lines),
           count(*) FILTER (WHERE (m.r).floor_leakage IS DISTINCT FROM (f.r).floor_leakage
                              OR (m.r).floor_leakage::text IS DISTINCT FROM (f.r).floor_leakage::text),
           count(*) FILTER (WHERE m.r::text IS DISTINCT FROM f.r::text)
      FROM mine m FULL JOIN ref f USING (g) $q$, src, call, COALESCE(refsrc, src));
END
$$;

-- discount_leakage and floor_leakage, every overload, against SQL
CREATE FUNCTION lkt.check_small(src text)
RETURNS TABLE (groups bigint, discount3 bigint, discount2 bigint,
               floor3 bigint, floor2 bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH mine AS (
        SELECT g, valuecheck.discount_leakage(l, p, q) AS d3,
               valuecheck.discount_leakage(l, p) AS d2,
               valuecheck.floor_leakage(p, f, q) AS f3,
               valuecheck.floor_leakage(p, f) AS f2
          FROM (%1$s) s GROUP BY g),
    ref AS (
        SELECT g, sum((l - p) * q) AS d3,
               sum(l - p) AS d2,
               CASE WHEN count(*) FILTER (WHERE p IS NOT NULL AND q IS NOT NULL) > 0
                    THEN COALESCE(sum((f - p) * q) FILTER (WHERE p < f), 0) END AS f3,
               CASE WHEN count(p) > 0
                    THEN COALESCE(sum(f - p) FILTER (WHERE p < f), 0) END AS f2
          FROM (%1$s) s GROUP BY g)
    SELECT count(*),
           count(*) FILTER (WHERE m.d3::text IS DISTINCT FROM r.d3::text OR m.d3 IS DISTINCT FROM r.d3),
           count(*) FILTER (WHERE m.d2::text IS DISTINCT FROM r.d2::text OR m.d2 IS DISTINCT FROM r.d2),
           count(*) FILTER (WHERE m.f3::text IS DISTINCT FROM r.f3::text OR m.f3 IS DISTINCT FROM r.f3),
           count(*) FILTER (WHERE m.f2::text IS DISTINCT FROM r.f2::text OR m.f2 IS DISTINCT FROM r.f2)
      FROM mine m FULL JOIN ref r USING (g) $q$, src);
END
$$;

-- ---------------------------------------------------------------------------
-- Small cases, by hand
-- ---------------------------------------------------------------------------
CREATE TABLE lkt.small (g int, l numeric, p numeric, q numeric, f numeric);
INSERT INTO lkt.small VALUES
    (1, 100.00, 80.00, 3, 90.00),    -- 20% off, below its floor by 10
    (1, 50, 50, 2, NULL),            -- full price, no floor
    (1, 10.5, 11, 1, 10),            -- above list price
    (2, 0, 0, 1, NULL),              -- list price 0: no rate
    (3, NULL, 5, 1, 6),              -- ignored by leakage and discount_leakage
    (3, 5, 4, NULL, 6),              -- ignored by all (no quantity)
    (4, 19.99, 15.25, -2, 16.00);    -- a return
SELECT g, valuecheck.discount_leakage(l, p, q) AS discount,
       valuecheck.discount_leakage(l, p) AS discount_q1,
       valuecheck.floor_leakage(p, f, q) AS floor_leakage,
       valuecheck.floor_leakage(p, f) AS floor_leakage_q1
  FROM lkt.small GROUP BY g ORDER BY g;
SELECT g, (valuecheck.leakage(l, p, q, f)).* FROM lkt.small GROUP BY g ORDER BY g;
SELECT g, valuecheck.leakage(l, p) AS two_args, valuecheck.leakage(l, p, q) AS three_args
  FROM lkt.small GROUP BY g ORDER BY g;

-- no rows, and only ignored rows: NULL, as sum() gives
SELECT valuecheck.discount_leakage(l, p, q) AS d, valuecheck.floor_leakage(p, f, q) AS fl,
       valuecheck.leakage(l, p, q, f) AS s, valuecheck.leakage(l, p, q, f) IS NULL AS is_null
  FROM lkt.small WHERE false;
SELECT valuecheck.discount_leakage(l, p, q) AS d, valuecheck.floor_leakage(p, f, q) AS fl,
       valuecheck.leakage(l, p, q, f) IS NULL AS is_null
  FROM (VALUES (NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric),
               (1, NULL, 1, 1), (NULL, 1, 1, 1), (1, 1, NULL, 1)) v(l, p, q, f);
-- floor_leakage: rows remain but none below (or no floor) gives 0
SELECT valuecheck.floor_leakage(p, f, q) AS fl
  FROM (VALUES (10::numeric, NULL::numeric, 1::numeric), (10, 9, 1), (10.00, 10, 5)) v(p, f, q);
-- as a plain function call, in an aggregate FILTER, with DISTINCT and ORDER BY
SELECT valuecheck.discount_leakage(l, p, q) FILTER (WHERE g = 1) AS g1,
       valuecheck.discount_leakage(DISTINCT l, p) AS distinct_pairs,
       valuecheck.discount_leakage(l, p, q ORDER BY g DESC) AS ordered
  FROM lkt.small;

-- ---------------------------------------------------------------------------
-- Random order lines (fixed seed): mixed scales, negative and fractional
-- quantities, negative and zero prices, NULLs sprinkled; 40 groups (one of
-- them with only ignored rows).  Every field is compared with SQL.
-- ---------------------------------------------------------------------------
SELECT setseed(0.42);
CREATE TABLE lkt.rnd AS
SELECT i, g,
       CASE WHEN r[1] < 0.03 THEN NULL ELSE l END AS l,
       CASE WHEN r[2] < 0.03 THEN NULL
            WHEN r[2] < 0.10 THEN l
            WHEN r[2] < 0.15 THEN round(l * 1.1, 2)
            ELSE round(COALESCE(l, 100) * (0.4 + r[3] * 0.6)::numeric, (i / 7) % 5) END AS p,
       CASE WHEN r[4] < 0.03 THEN NULL
            WHEN r[4] < 0.10 THEN -1 * (1 + (i % 3))
            WHEN r[4] < 0.20 THEN round((r[5] * 20)::numeric, 1 + i % 3)
            ELSE (1 + (r[5] * 12)::int)::numeric END AS q,
       CASE WHEN r[6] < 0.25 THEN NULL
            ELSE round(COALESCE(l, 50) * (0.55 + r[7] * 0.4)::numeric, (i / 3) % 4) END AS f
  FROM (SELECT i, CASE WHEN i % 41 = 40 THEN 99 ELSE i % 41 END AS g,
               CASE WHEN i % 97 = 0 THEN 0
                    WHEN i % 89 = 0 THEN -round((random() * 50)::numeric, 2)
                    ELSE round((random() * 5000)::numeric, (i / 11) % 5) END AS l,
               ARRAY[random(), random(), random(), random(), random(), random(), random()] AS r
          FROM generate_series(1, 20000) i) s;
-- group 99 has only ignored rows
UPDATE lkt.rnd SET q = NULL WHERE g = 99;
SELECT count(*) AS lines, count(DISTINCT g) AS groups,
       count(*) FILTER (WHERE l IS NULL OR p IS NULL OR q IS NULL) AS ignored,
       count(*) FILTER (WHERE q < 0) AS returns,
       count(DISTINCT scale(l)) AS list_scales, count(DISTINCT scale(p)) AS price_scales
  FROM lkt.rnd;

SELECT * FROM lkt.check_leakage('TABLE lkt.rnd');
SELECT * FROM lkt.check_leakage('TABLE lkt.rnd', 'valuecheck.leakage(l, p, q)',
                                'SELECT g, l, p, q, NULL::numeric AS f FROM lkt.rnd');
SELECT * FROM lkt.check_leakage('TABLE lkt.rnd', 'valuecheck.leakage(l, p)',
                                'SELECT g, l, p, 1::numeric AS q, NULL::numeric AS f FROM lkt.rnd');
SELECT * FROM lkt.check_small('TABLE lkt.rnd');
-- the whole table as one group
SELECT * FROM lkt.check_leakage('SELECT 0 AS g, l, p, q, f FROM lkt.rnd');
SELECT * FROM lkt.check_small('SELECT 0 AS g, l, p, q, f FROM lkt.rnd');

-- a few groups in full, to show what the results look like
SELECT g, (valuecheck.leakage(l, p, q, f)).* FROM lkt.rnd WHERE g IN (3, 7, 99)
 GROUP BY g ORDER BY g;

-- ---------------------------------------------------------------------------
-- Beyond the integer fast path: many digits, large scales, sums past 2^127,
-- mixed with ordinary rows.  Exact, never rounded.
-- ---------------------------------------------------------------------------
CREATE TABLE lkt.big (g int, l numeric, p numeric, q numeric, f numeric);
INSERT INTO lkt.big VALUES
    (1, 1e30, 0.5, 1.25, 2e29),
    (1, 123456789012345678901234567890.123456789, 123456789012345678901234567890.12345678, 3, NULL),
    (1, 10.00, 9.99, 1, 10),
    (2, 0.00000000000000000001, 0.000000000000000000005, 1, 0.00000000000000000001),
    (2, 1e-30, 0, 7, 1e-29),
    (2, 5.5, 5, 2, 6),
    (3, 1234567890123456789012345678901234567890, 1, 1, 1234567890123456789012345678901234567891),
    (3, 1e100, 1e99, 1e50, 1e100),
    (3, -1e100, 1, 1e-50, NULL),
    (4, 999999999999999999, 1, 999999999999999999, 999999999999999999),
    (4, 999999999999999999, 2, 999999999999999999, 999999999999999999),
    (4, 999999999999999999, 3, 999999999999999999, 999999999999999999),
    (4, 9999999999.99999999, 0.00000001, 99999999.9999999999, NULL),
    (4, 1.5, 1, 1, NULL),
    (5, 0.1, 0.05, 0.000000000000000000000000000001, 1),
    (5, 1, 0.5, 1, 1),
    (5, 100, 1, 12345678901234567890123456789, 2);
-- many rows whose products each fit but whose sums pass 2^127 several times
INSERT INTO lkt.big
SELECT 6 + i % 2, 999999999999999999, 1 + i % 7, 999999999999999999 - i,
       999999999999999999.5 - i % 3
  FROM generate_series(1, 1000) i;
-- huge and tiny interleaved, so the integer part rescales and spills
INSERT INTO lkt.big
SELECT 8, CASE WHEN i % 3 = 0 THEN 1e25 + i WHEN i % 3 = 1 THEN 1e-25 * i ELSE i END,
       i % 5, CASE WHEN i % 4 = 0 THEN -1 ELSE 1 END, 1e20
  FROM generate_series(1, 300) i;
SELECT * FROM lkt.check_leakage('TABLE lkt.big');
SELECT * FROM lkt.check_small('TABLE lkt.big');
SELECT g, valuecheck.discount_leakage(l, p, q) AS discount,
       valuecheck.floor_leakage(p, f, q) AS floor_leakage
  FROM lkt.big GROUP BY g ORDER BY g;
SELECT g, (valuecheck.leakage(l, p, q, f)).max_discount_rate,
       (valuecheck.leakage(l, p, q, f)).discount_rate
  FROM lkt.big GROUP BY g ORDER BY g;

-- ---------------------------------------------------------------------------
-- NaN and infinities, as sum(), max() and numeric arithmetic treat them
-- (NaN sorts above every number; inf - inf and inf * 0 are NaN; ...).
-- Every combination of special and plain values in one row, and pairs of
-- rows.
-- ---------------------------------------------------------------------------
CREATE TABLE lkt.vals (v numeric);
INSERT INTO lkt.vals VALUES (2.50), (0), (-1), ('NaN'), ('Infinity'), ('-Infinity'), (NULL);
CREATE TABLE lkt.special AS
SELECT row_number() OVER (ORDER BY a.v, b.v, c.v, d.v)::int AS g,
       a.v AS l, b.v AS p, c.v AS q, d.v AS f
  FROM lkt.vals a, lkt.vals b, lkt.vals c, lkt.vals d
 WHERE a.v IS NOT NULL AND b.v IS NOT NULL AND c.v IS NOT NULL;
SELECT count(*) AS cases FROM lkt.special;
SELECT * FROM lkt.check_leakage('TABLE lkt.special');
SELECT * FROM lkt.check_small('TABLE lkt.special');
-- each special row together with a plain row
SELECT * FROM lkt.check_leakage(
    'SELECT g, l, p, q, f FROM lkt.special UNION ALL
     SELECT g, 10.00, 7.5, 2, 8 FROM lkt.special');
SELECT * FROM lkt.check_small(
    'SELECT g, l, p, q, f FROM lkt.special UNION ALL
     SELECT g, 10.00, 7.5, 2, 8 FROM lkt.special');
-- pairs of special rows
SELECT * FROM lkt.check_leakage(
    'SELECT a.g * 10000 + b.g AS g, x.l, x.p, x.q, x.f
       FROM lkt.special a JOIN lkt.special b ON (a.g * 7 + b.g) % 97 = 0,
            LATERAL (VALUES (a.l, a.p, a.q, a.f), (b.l, b.p, b.q, b.f)) x(l, p, q, f)');
SELECT * FROM lkt.check_small(
    'SELECT a.g * 10000 + b.g AS g, x.l, x.p, x.q, x.f
       FROM lkt.special a JOIN lkt.special b ON (a.g * 7 + b.g) % 97 = 0,
            LATERAL (VALUES (a.l, a.p, a.q, a.f), (b.l, b.p, b.q, b.f)) x(l, p, q, f)');
-- a few, shown
SELECT l, p, q, f, valuecheck.discount_leakage(l, p, q) AS discount,
       valuecheck.floor_leakage(p, f, q) AS floor_leakage,
       (valuecheck.leakage(l, p, q, f)).max_discount_rate
  FROM lkt.special
 WHERE (l, p, q) IN (('NaN', 1, 1), ('Infinity', 2.50, 0), ('Infinity', 'Infinity', 1),
                     (2.50, '-Infinity', -1), (0, 'NaN', 2.50))
   AND (f IS NULL OR f = 2.50)
 GROUP BY g, l, p, q, f ORDER BY g;

-- ---------------------------------------------------------------------------
-- Calling the support functions directly works and never changes its input
-- ---------------------------------------------------------------------------
SELECT valuecheck.leakage_trans(NULL, 10.00, 8, 2, 9) AS one_row;
SELECT valuecheck.leakage_final(valuecheck.leakage_trans(valuecheck.leakage_trans(NULL, 10.00, 8, 2, 9), 4, 1));
-- the inverse takes a row out; it gives up (NULL) when the row leaving holds
-- the largest discount rate or the last value of the largest display scale
SELECT valuecheck.leakage_final(valuecheck.leakage_inv(valuecheck.leakage_trans(
           valuecheck.leakage_trans(NULL, 10.00, 8.00, 2, 9), 12.00, 11.00, 1), 12.00, 11.00, 1)),
       valuecheck.leakage_final(valuecheck.leakage_trans(NULL, 10.00, 8.00, 2, 9));
SELECT valuecheck.leakage_inv(valuecheck.leakage_trans(
           valuecheck.leakage_trans(NULL, 10.00, 8, 2, 9), 4, 1), 4, 1) IS NULL AS max_leaves,
       valuecheck.leakage_inv(valuecheck.leakage_trans(
           valuecheck.leakage_trans(NULL, 10.00, 8, 2, 9), 4, 3.5), 10.00, 8, 2, 9) IS NULL AS scale_leaves;
SELECT valuecheck.discount_leakage_final(valuecheck.leakage_state_combine(
           valuecheck.discount_leakage_trans(NULL, 1e40, 1, 1),
           valuecheck.discount_leakage_trans(NULL, 3.25, 1, 2)));
SELECT valuecheck.leakage_state_combine(NULL, NULL) IS NULL AS both_null,
       valuecheck.leakage_state_combine(NULL, valuecheck.floor_leakage_trans(NULL, 1, 2)) AS first_null;
-- states of different aggregates do not mix
SELECT valuecheck.leakage_final(valuecheck.discount_leakage_trans(NULL, 1, 2));
SELECT valuecheck.leakage_state_combine(valuecheck.discount_leakage_trans(NULL, 1, 2),
                                        valuecheck.floor_leakage_trans(NULL, 1, 2));
-- a state with no rows yet gives NULL
SELECT valuecheck.leakage_final(valuecheck.leakage_trans(NULL, NULL, 1)) IS NULL AS empty;

-- ---------------------------------------------------------------------------
-- Integer quantities: the smallint / integer / bigint overloads read the
-- quantity directly (no cast to numeric per row); results equal SQL's, where
-- the integer is cast to numeric with display scale 0.
-- ---------------------------------------------------------------------------
CREATE TABLE lkt.ints (l numeric, p numeric, q2 smallint, q4 integer, q8 bigint,
                       qn numeric, f numeric);
INSERT INTO lkt.ints VALUES
    (10.50, 9.25, 2, 2, 2, 2, 9.50),
    (20, 21, 3, 3, 3, 3.0, 22),
    (7.125, 7, NULL, NULL, NULL, NULL, 8),
    (4, 3.5, -1, -1, -1, -1, NULL);
-- each call form: the signature it resolves to (none is ambiguous) and its
-- result over lkt.ints
CREATE FUNCTION lkt.call(expr text, OUT resolves_to text, OUT result text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TEMP VIEW lkt_call AS SELECT %s AS x FROM lkt.ints', expr);
    SELECT string_agg(d.refobjid::regprocedure::text, ', ') INTO resolves_to
      FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid
      JOIN pg_proc f ON f.oid = d.refobjid
     WHERE d.classid = 'pg_rewrite'::regclass AND w.ev_class = 'lkt_call'::regclass
       AND d.refclassid = 'pg_proc'::regclass
       AND f.pronamespace = 'valuecheck'::regnamespace;
    EXECUTE 'SELECT x::text FROM lkt_call' INTO result;
    DROP VIEW lkt_call;
END
$$;
SELECT e AS call, (lkt.call(e)).*
  FROM unnest(ARRAY[
    'valuecheck.leakage(l, p)', 'valuecheck.leakage(l, p, 1)',
    'valuecheck.leakage(l, p, NULL)', 'valuecheck.leakage(l, p, q2)',
    'valuecheck.leakage(l, p, q4)', 'valuecheck.leakage(l, p, q8)',
    'valuecheck.leakage(l, p, qn)', 'valuecheck.leakage(l, p, q2, f)',
    'valuecheck.leakage(l, p, q4, f)', 'valuecheck.leakage(l, p, q8, f)',
    'valuecheck.leakage(l, p, qn, f)', 'valuecheck.leakage(l, p, 1, NULL)',
    'valuecheck.leakage(l, p, NULL, NULL)', 'valuecheck.leakage(l, p, q4, NULL)',
    'valuecheck.discount_leakage(l, p)', 'valuecheck.discount_leakage(l, p, 1)',
    'valuecheck.discount_leakage(l, p, NULL)', 'valuecheck.discount_leakage(l, p, q2)',
    'valuecheck.discount_leakage(l, p, q4)', 'valuecheck.discount_leakage(l, p, q8)',
    'valuecheck.discount_leakage(l, p, qn)', 'valuecheck.discount_leakage(1.5, 1, 2)',
    'valuecheck.floor_leakage(p, f)', 'valuecheck.floor_leakage(p, f, 1)',
    'valuecheck.floor_leakage(p, f, NULL)', 'valuecheck.floor_leakage(p, f, q2)',
    'valuecheck.floor_leakage(p, f, q4)', 'valuecheck.floor_leakage(p, f, q8)',
    'valuecheck.floor_leakage(p, f, qn)', 'valuecheck.floor_leakage(1, 2, 3)']) e;

-- random lines (fixed seed) with integer quantities: mixed price scales,
-- negative and zero quantities, NULLs, a few NaN / infinite / huge prices
-- (numeric fallback), and bigint quantities beyond the fast path
SELECT setseed(0.31);
CREATE TABLE lkt.rndi AS
SELECT i, i % 37 AS g, l, p, f, q::smallint AS q2, q::integer AS q4, q::bigint AS q8,
       CASE WHEN i % 101 = 0 THEN 9223372036854775807 - i
            WHEN i % 103 = 0 THEN -9223372036854775808 + i
            WHEN i % 107 = 0 THEN 1000000000000000000
            ELSE q END::bigint AS q8big
  FROM (SELECT i,
               CASE WHEN r[1] < 0.02 THEN NULL
                    WHEN i % 499 = 0 THEN 'NaN'
                    WHEN i % 503 = 0 THEN 1e30 + i
                    ELSE round((r[2] * 5000)::numeric, (i / 11) % 5) END AS l,
               CASE WHEN r[3] < 0.02 THEN NULL
                    WHEN i % 509 = 0 THEN 'Infinity'
                    ELSE round((r[2] * 5000)::numeric * (0.5 + r[4] * 0.6)::numeric, (i / 7) % 4) END AS p,
               CASE WHEN r[5] < 0.03 THEN NULL
                    WHEN r[5] < 0.10 THEN -(1 + i % 4)
                    WHEN r[5] < 0.13 THEN 0
                    ELSE 1 + (r[6] * 30)::int END AS q,
               CASE WHEN r[7] < 0.25 THEN NULL
                    WHEN i % 521 = 0 THEN 'NaN'
                    ELSE round((r[2] * 5000)::numeric * (0.6 + r[8] * 0.3)::numeric, (i / 3) % 3) END AS f
          FROM (SELECT i, ARRAY[random(), random(), random(), random(),
                                random(), random(), random(), random()] AS r
                  FROM generate_series(1, 15000) i) s) s;
SELECT count(*) AS lines, count(*) FILTER (WHERE q4 IS NULL) AS null_qty,
       count(*) FILTER (WHERE q4 <= 0) AS zero_or_negative,
       count(*) FILTER (WHERE q8big > 1e15 OR q8big < -1e15) AS huge_bigint
  FROM lkt.rndi;
SELECT * FROM lkt.check_leakage('SELECT g, l, p, q2 AS q, f FROM lkt.rndi');
SELECT * FROM lkt.check_leakage('SELECT g, l, p, q4 AS q, f FROM lkt.rndi');
SELECT * FROM lkt.check_leakage('SELECT g, l, p, q8 AS q, f FROM lkt.rndi');
SELECT * FROM lkt.check_leakage('SELECT g, l, p, q8big AS q, f FROM lkt.rndi');
SELECT * FROM lkt.check_leakage('SELECT g, l, p, q4 AS q, f FROM lkt.rndi',
                                'valuecheck.leakage(l, p, q)',
                                'SELECT g, l, p, q4 AS q, NULL::numeric AS f FROM lkt.rndi');
SELECT * FROM lkt.check_leakage('SELECT 0 AS g, l, p, q4 AS q, f FROM lkt.rndi WHERE l < 1e20 AND p < 1e20');
SELECT * FROM lkt.check_small('SELECT g, l, p, q2 AS q, f FROM lkt.rndi');
SELECT * FROM lkt.check_small('SELECT g, l, p, q4 AS q, f FROM lkt.rndi');
SELECT * FROM lkt.check_small('SELECT g, l, p, q8big AS q, f FROM lkt.rndi');
-- the same as with the quantity cast to numeric, as text
SELECT count(*) AS groups,
       count(*) FILTER (WHERE a::text IS DISTINCT FROM b::text) AS differ
  FROM (SELECT g, valuecheck.leakage(l, p, q4, f) AS a,
               valuecheck.leakage(l, p, q4::numeric, f) AS b
          FROM lkt.rndi GROUP BY g) s;
SELECT g, (valuecheck.leakage(l, p, q4, f)).* FROM lkt.rndi WHERE g IN (1, 2)
 GROUP BY g ORDER BY g;
-- the support functions of the integer overloads, called directly
SELECT valuecheck.leakage_final(valuecheck.leakage_inv(valuecheck.leakage_trans(
           valuecheck.leakage_trans(NULL, 10.00, 8.00, 2::smallint, 9), 12.00, 11.00, 1::bigint),
           12.00, 11.00, 1::bigint)) AS after_inverse,
       valuecheck.discount_leakage_final(valuecheck.discount_leakage_trans(
           valuecheck.discount_leakage_trans(NULL, 2.5, 1, 3), 1, 0.5, 9223372036854775807::bigint)) AS huge;

DROP SCHEMA lkt CASCADE;
