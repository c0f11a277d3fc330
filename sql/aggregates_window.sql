-- Discount-leakage aggregates as window functions over sliding frames
-- (moving-aggregate mode with inverse transitions): every row's result
-- equals what SQL's own window sums, counts and max give for the same frame.
CREATE EXTENSION IF NOT EXISTS valuecheck CASCADE;
CREATE SCHEMA lkw;

SELECT setseed(0.17);
CREATE TABLE lkw.rows AS
SELECT i, i % 3 AS part,
       CASE WHEN r[1] < 0.04 THEN NULL
            WHEN r[1] < 0.06 THEN 0
            ELSE round((r[2] * 900 + 10)::numeric, (i / 13) % 4) END AS l,
       CASE WHEN r[3] < 0.04 THEN NULL
            ELSE round((r[4] * 800 + 5)::numeric, (i / 7) % 4) END AS p,
       CASE WHEN r[5] < 0.04 THEN NULL
            WHEN r[5] < 0.12 THEN -2
            WHEN r[5] < 0.20 THEN round((r[6] * 5)::numeric, 2)
            ELSE (1 + (r[6] * 9)::int)::numeric END AS q,
       CASE WHEN r[7] < 0.3 THEN NULL
            ELSE round((r[8] * 700 + 50)::numeric, (i / 5) % 3) END AS f
  FROM (SELECT i, ARRAY[random(), random(), random(), random(),
                        random(), random(), random(), random()] AS r
          FROM generate_series(1, 2000) i) s;
-- a few huge values and NaNs in the middle, so frames go through the
-- numeric fallback and the special counts
UPDATE lkw.rows SET l = 1e30 + i, q = 3 WHERE i IN (500, 502, 1200);
UPDATE lkw.rows SET p = 0.000000000000000000001 WHERE i IN (800, 1500);
UPDATE lkw.rows SET l = 'NaN' WHERE i IN (900, 1600);
UPDATE lkw.rows SET q = 'Infinity' WHERE i = 1000;
UPDATE lkw.rows SET f = 'NaN' WHERE i = 1100;

-- a summary as text without its max_discount_rate: where rows tie for the
-- largest rate with different display scales, either digit string is right
-- (README, "Discount leakage aggregates"), so that field is compared as a number
CREATE FUNCTION lkw.text_but_rate(s valuecheck.leakage_summary) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN s IS NOT NULL THEN
           ROW((s).lines, (s).units, (s).list_revenue, (s).net_revenue, (s).discount,
               (s).discount_rate, (s).discounted_lines, NULL::numeric,
               (s).below_floor_lines, (s).floor_leakage)::text END
$$;

-- the reference of one frame, from SQL window aggregates (FILTER in window
-- aggregates is allowed; max has no inverse, so PostgreSQL recomputes it)
CREATE FUNCTION lkw.check(frame text, part text DEFAULT '', tbl text DEFAULT 'lkw.rows')
RETURNS TABLE (rows_checked bigint, leakage_bad bigint, rate_bad bigint,
               discount_bad bigint, floor_bad bigint, leakage2_bad bigint,
               non_null bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH w AS (
        SELECT i,
               valuecheck.leakage(l, p, q, f) OVER w AS mine,
               valuecheck.leakage(l, p) OVER w AS mine2,
               valuecheck.discount_leakage(l, p, q) OVER w AS mine_d,
               valuecheck.floor_leakage(p, f, q) OVER w AS mine_f,
               count(*) FILTER (WHERE ok) OVER w AS n,
               sum(q) FILTER (WHERE ok) OVER w AS units,
               sum(l * q) FILTER (WHERE ok) OVER w AS lr,
               sum(p * q) FILTER (WHERE ok) OVER w AS nr,
               count(*) FILTER (WHERE ok AND p < l) OVER w AS disc_n,
               max(CASE WHEN l > 0 THEN (l - p) / l END) FILTER (WHERE ok) OVER w AS maxr,
               count(*) FILTER (WHERE ok AND p < f) OVER w AS below_n,
               sum((f - p) * q) FILTER (WHERE ok AND p < f) OVER w AS fl,
               count(*) FILTER (WHERE l IS NOT NULL AND p IS NOT NULL) OVER w AS n2,
               sum(l) FILTER (WHERE l IS NOT NULL AND p IS NOT NULL) OVER w AS lr2,
               sum(p) FILTER (WHERE l IS NOT NULL AND p IS NOT NULL) OVER w AS nr2,
               count(*) FILTER (WHERE l IS NOT NULL AND p IS NOT NULL AND p < l) OVER w AS disc_n2,
               max(CASE WHEN l > 0 THEN (l - p) / l END) FILTER (WHERE p IS NOT NULL) OVER w AS maxr2,
               sum((l - p) * q) OVER w AS d,
               count(*) FILTER (WHERE p IS NOT NULL AND q IS NOT NULL) OVER w AS fn,
               sum((f - p) * q) FILTER (WHERE p < f) OVER w AS fs
          FROM (SELECT *, l IS NOT NULL AND p IS NOT NULL AND q IS NOT NULL AS ok
                  FROM %3$s) r
        WINDOW w AS (%1$s ORDER BY i %2$s)),
    ref AS (
        SELECT w.*,
               CASE WHEN n > 0 THEN ROW(n, units, lr, nr, lr - nr,
                    CASE WHEN lr = 0 THEN NULL ELSE (lr - nr) / lr END,
                    disc_n, maxr, below_n, COALESCE(fl, 0))::valuecheck.leakage_summary END AS ref,
               CASE WHEN n2 > 0 THEN ROW(n2, n2::numeric, lr2, nr2, lr2 - nr2,
                    CASE WHEN lr2 = 0 THEN NULL ELSE (lr2 - nr2) / lr2 END,
                    disc_n2, maxr2, 0, 0)::valuecheck.leakage_summary END AS ref2,
               CASE WHEN fn > 0 THEN COALESCE(fs, 0) END AS ref_f
          FROM w)
    SELECT count(*),
           count(*) FILTER (WHERE lkw.text_but_rate(mine) IS DISTINCT FROM lkw.text_but_rate(ref)),
           count(*) FILTER (WHERE (mine).max_discount_rate IS DISTINCT FROM (ref).max_discount_rate
                              OR (mine2).max_discount_rate IS DISTINCT FROM (ref2).max_discount_rate),
           count(*) FILTER (WHERE mine_d::text IS DISTINCT FROM d::text OR mine_d IS DISTINCT FROM d),
           count(*) FILTER (WHERE mine_f::text IS DISTINCT FROM ref_f::text OR mine_f IS DISTINCT FROM ref_f),
           count(*) FILTER (WHERE lkw.text_but_rate(mine2) IS DISTINCT FROM lkw.text_but_rate(ref2)),
           count(mine)
      FROM ref $q$, part, frame, tbl);
END
$$;

SELECT * FROM lkw.check('ROWS BETWEEN 3 PRECEDING AND CURRENT ROW');
SELECT * FROM lkw.check('ROWS BETWEEN 3 PRECEDING AND CURRENT ROW', 'PARTITION BY part');
SELECT * FROM lkw.check('ROWS BETWEEN 10 PRECEDING AND 2 FOLLOWING');
SELECT * FROM lkw.check('ROWS BETWEEN 1 FOLLOWING AND 4 FOLLOWING');
SELECT * FROM lkw.check('ROWS BETWEEN 50 PRECEDING AND CURRENT ROW', 'PARTITION BY part');
SELECT * FROM lkw.check('ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW');
SELECT * FROM lkw.check('ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING');
SELECT * FROM lkw.check('RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING');
SELECT * FROM lkw.check('ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING EXCLUDE CURRENT ROW');

-- integer quantities (the smallint / integer / bigint overloads, moving
-- mode too); NULL where the numeric quantity is NULL
CREATE TABLE lkw.rows_int AS
SELECT i, part, l, p, CASE WHEN q IS NOT NULL THEN (i % 13) - 3 END AS q, f FROM lkw.rows;
CREATE TABLE lkw.rows_int2 AS SELECT i, part, l, p, q::smallint AS q, f FROM lkw.rows_int;
CREATE TABLE lkw.rows_int8 AS
SELECT i, part, l, p, (q::bigint * CASE WHEN i % 97 = 0 THEN 1000000000000000000 ELSE 1 END) AS q, f
  FROM lkw.rows_int;
SELECT * FROM lkw.check('ROWS BETWEEN 3 PRECEDING AND CURRENT ROW', '', 'lkw.rows_int');
SELECT * FROM lkw.check('ROWS BETWEEN 20 PRECEDING AND 2 FOLLOWING', 'PARTITION BY part', 'lkw.rows_int');
SELECT * FROM lkw.check('ROWS BETWEEN 5 PRECEDING AND CURRENT ROW', '', 'lkw.rows_int2');
SELECT * FROM lkw.check('ROWS BETWEEN 5 PRECEDING AND CURRENT ROW', '', 'lkw.rows_int8');

-- the ties above: rows 500 and 800 both have a rate that rounds to exactly
-- 1, with 20 and 21 decimals
SELECT i, (l - p) / l AS rate FROM lkw.rows WHERE i IN (500, 800) ORDER BY i;

-- what a frame looks like
SELECT i, l, p, q, f, valuecheck.leakage(l, p, q, f) OVER w
  FROM lkw.rows WHERE i BETWEEN 20 AND 26
WINDOW w AS (ORDER BY i ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
 ORDER BY i;

-- frames that are empty or hold only ignored rows give NULL
SELECT i, valuecheck.discount_leakage(l, p, q) OVER w AS d,
       valuecheck.floor_leakage(p, f, q) OVER w AS fl,
       valuecheck.leakage(l, p, q, f) OVER w AS s
  FROM (VALUES (1, 10::numeric, 8::numeric, 1::numeric, 9::numeric),
               (2, NULL, 8, 1, 9), (3, 10, 8, NULL, 9), (4, NULL, NULL, NULL, NULL),
               (5, 10.00, 9.5, 2, NULL)) v(i, l, p, q, f)
WINDOW w AS (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
 ORDER BY i;

DROP SCHEMA lkw CASCADE;
