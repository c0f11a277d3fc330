-- Discount-leakage aggregates in parallel query: partial aggregates in the
-- workers, states combined in the leader, results equal to a serial run.
CREATE EXTENSION IF NOT EXISTS valuecheck CASCADE;
CREATE SCHEMA lkp;

SELECT setseed(0.5);
CREATE TABLE lkp.lines AS
SELECT i, 'rep' || (i % 7) AS rep, 'c' || (i % 3) AS campaign,
       round((10 + r1 * 990)::numeric, 2) AS l,
       round((10 + r1 * 990)::numeric * (0.6 + r2 * 0.5)::numeric, 2) AS p,
       (1 + (r3 * 9)::int)::numeric AS q,
       CASE WHEN i % 4 = 0 THEN NULL ELSE round((10 + r1 * 990)::numeric * 0.8, 2) END AS f,
       (1 + (r3 * 9)::int) AS qi,
       CASE WHEN i % 5003 = 0 THEN 2000000000000000000 ELSE 1 + (r3 * 9)::int END::bigint AS q8,
       (1 + (r3 * 9)::int)::smallint AS q2
  FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3
          FROM generate_series(1, 100000) i) s;
-- values for the fallback paths and the special counts, in several workers' pages
UPDATE lkp.lines SET l = 1e35 + i, q = 1e10 WHERE i % 20011 = 0;
UPDATE lkp.lines SET p = 0.0000000000000000000001 * i WHERE i % 30011 = 5;
UPDATE lkp.lines SET q = 'NaN' WHERE i = 77777;
UPDATE lkp.lines SET l = NULL WHERE i % 1009 = 0;
ANALYZE lkp.lines;

CREATE VIEW lkp.results (k, v) AS
    SELECT 'all', valuecheck.leakage(l, p, q, f)::text FROM lkp.lines
    UNION ALL
    SELECT 'all discount', valuecheck.discount_leakage(l, p, q)::text FROM lkp.lines
    UNION ALL
    SELECT 'all floor', valuecheck.floor_leakage(p, f, q)::text FROM lkp.lines
    UNION ALL
    SELECT 'no NaN ' || rep || '/' || campaign, valuecheck.leakage(l, p, q, f)::text
      FROM lkp.lines WHERE i <> 77777 GROUP BY rep, campaign
    UNION ALL
    SELECT 'by rep ' || rep, valuecheck.discount_leakage(l, p, q)::text || ' ' ||
           valuecheck.floor_leakage(p, f)::text || ' ' || valuecheck.leakage(l, p)::text
      FROM lkp.lines GROUP BY rep
    UNION ALL
    -- the integer-quantity overloads
    SELECT 'int ' || rep || '/' || campaign, valuecheck.leakage(l, p, qi, f)::text || ' ' ||
           valuecheck.discount_leakage(l, p, qi)::text || ' ' ||
           valuecheck.floor_leakage(p, f, q2)::text || ' ' ||
           valuecheck.leakage(l, p, q8, f)::text
      FROM lkp.lines GROUP BY rep, campaign
    UNION ALL
    SELECT 'int total', valuecheck.leakage(l, p, qi, f)::text || ' ' ||
           valuecheck.leakage(l, p, q2)::text || ' ' ||
           valuecheck.discount_leakage(l, p, q8)::text
      FROM lkp.lines;

SET max_parallel_workers_per_gather = 0;
CREATE TABLE lkp.serial AS SELECT * FROM lkp.results;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF)
SELECT valuecheck.leakage(l, p, q, f), valuecheck.discount_leakage(l, p, q),
       valuecheck.floor_leakage(p, f, q)
  FROM lkp.lines;

-- grouped: the plan's shape may vary, but it aggregates partially
CREATE FUNCTION lkp.plan_has(query text, pattern text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        IF line LIKE pattern THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;
SELECT lkp.plan_has('SELECT rep, campaign, valuecheck.leakage(l, p, q, f) FROM lkp.lines GROUP BY rep, campaign',
                    '%Partial%Aggregate%') AS grouped_partial,
       lkp.plan_has('SELECT rep, campaign, valuecheck.leakage(l, p, q, f) FROM lkp.lines GROUP BY rep, campaign',
                    '%Gather%') AS grouped_gather;

-- the whole comparison query runs with partial aggregates
SELECT lkp.plan_has('CREATE TABLE lkp.parallel AS SELECT * FROM lkp.results',
                    '%Partial%Aggregate%') AS results_partial;
CREATE TABLE lkp.parallel AS SELECT * FROM lkp.results;

SELECT count(*) AS results,
       count(*) FILTER (WHERE s.v IS DISTINCT FROM p.v) AS differ,
       count(*) FILTER (WHERE s.v IS NULL) AS null_results
  FROM lkp.serial s FULL JOIN lkp.parallel p USING (k);
SELECT k, v FROM lkp.parallel WHERE k LIKE 'all%' OR k = 'int total' ORDER BY k;
-- the integer overloads aggregate partially too
SELECT lkp.plan_has('SELECT rep, campaign, valuecheck.leakage(l, p, qi, f), valuecheck.discount_leakage(l, p, qi)
                       FROM lkp.lines GROUP BY rep, campaign',
                    '%Partial%Aggregate%') AS int_grouped_partial;

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP SCHEMA lkp CASCADE;
