-- valuecheck.leakage_state, the aggregates' transition state: its text and
-- binary forms round-trip exactly, and its input functions refuse garbage
-- with clean errors.
CREATE EXTENSION IF NOT EXISTS valuecheck CASCADE;
CREATE SCHEMA lks;

-- aggregates without final functions hand out the raw states
CREATE AGGREGATE lks.leak_state(numeric, numeric, numeric, numeric) (
    SFUNC = valuecheck.leakage_trans, STYPE = valuecheck.leakage_state);
CREATE AGGREGATE lks.disc_state(numeric, numeric, numeric) (
    SFUNC = valuecheck.discount_leakage_trans, STYPE = valuecheck.leakage_state);
CREATE AGGREGATE lks.floor_state(numeric, numeric, numeric) (
    SFUNC = valuecheck.floor_leakage_trans, STYPE = valuecheck.leakage_state);

CREATE TABLE lks.rows (g int, l numeric, p numeric, q numeric, f numeric);
INSERT INTO lks.rows VALUES
    (1, 100.00, 80.00, 3, 90.00), (1, 50, 50, 2, NULL), (1, 10.5, 11, 1, 10),
    (2, 1e30, 0.5, 1.25, 2e29), (2, 10.00, 9.99, 1, 10),
    (2, 123456789012345678901234567890.123456789, 1, 3, NULL),
    (3, 'NaN', 1, 1, 2), (3, 5, 'Infinity', 2, 1), (3, 5, 4, '-Infinity', 6),
    (4, 0.000000000000000000001, 0, 7, 1e-20),
    (4, 1e40, 1e39, 2, NULL), (4, 2.5, 2, 1, 3),
    (5, 0, 0, 1, NULL),
    (6, NULL, 1, 1, 1);
CREATE TABLE lks.states AS
SELECT g, 'leakage' AS kind, lks.leak_state(l, p, q, f) AS s FROM lks.rows GROUP BY g
UNION ALL
SELECT g, 'discount', lks.disc_state(l, p, q) FROM lks.rows GROUP BY g
UNION ALL
SELECT g, 'floor', lks.floor_state(p, f, q) FROM lks.rows GROUP BY g;

-- the text form
SELECT g, kind, s FROM lks.states ORDER BY g, kind;

-- text round trip: same text, same results
SELECT count(*) AS states,
       count(*) FILTER (WHERE s::text::valuecheck.leakage_state::text <> s::text) AS text_differs,
       count(*) FILTER (WHERE kind = 'leakage' AND
                        valuecheck.leakage_final(s::text::valuecheck.leakage_state)::text
                        IS DISTINCT FROM valuecheck.leakage_final(s)::text) AS leakage_differs,
       count(*) FILTER (WHERE kind = 'discount' AND
                        valuecheck.discount_leakage_final(s::text::valuecheck.leakage_state)::text
                        IS DISTINCT FROM valuecheck.discount_leakage_final(s)::text) AS discount_differs,
       count(*) FILTER (WHERE kind = 'floor' AND
                        valuecheck.floor_leakage_final(s::text::valuecheck.leakage_state)::text
                        IS DISTINCT FROM valuecheck.floor_leakage_final(s)::text) AS floor_differs
  FROM lks.states;

-- a state read back goes on aggregating and combining correctly
SELECT valuecheck.leakage_final(valuecheck.leakage_trans(s::text::valuecheck.leakage_state, 7.00, 3, 2, 5))
       = valuecheck.leakage_final(valuecheck.leakage_trans(s, 7.00, 3, 2, 5)) AS same_after_row
  FROM lks.states WHERE kind = 'leakage' AND g = 2;
SELECT valuecheck.leakage_final(valuecheck.leakage_state_combine(a.s::text::valuecheck.leakage_state,
                                                                 b.s::text::valuecheck.leakage_state))::text
       = (SELECT valuecheck.leakage(l, p, q, f)::text FROM lks.rows WHERE g IN (1, 2)) AS combined
  FROM lks.states a, lks.states b
 WHERE a.kind = 'leakage' AND b.kind = 'leakage' AND a.g = 1 AND b.g = 2;

-- binary round trip through COPY (send, then receive)
SELECT current_setting('data_directory') || '/valuecheck_leakage_state.bin' AS binfile \gset
CREATE TABLE lks.back (g int, kind text, s valuecheck.leakage_state);
COPY lks.states TO :'binfile' (FORMAT binary);
COPY lks.back FROM :'binfile' (FORMAT binary);
SELECT count(*) AS states,
       count(*) FILTER (WHERE b.s::text IS DISTINCT FROM a.s::text) AS differ,
       count(*) FILTER (WHERE valuecheck.leakage_state_send(b.s) <> valuecheck.leakage_state_send(a.s)) AS send_differs
  FROM lks.states a JOIN lks.back b USING (g, kind);
SELECT valuecheck.leakage_state_send(s) FROM lks.states WHERE kind = 'discount' AND g = 1;
-- a sum of more than 32767 base-10000 digits (numeric_send's count is unsigned)
CREATE TABLE lks.huge AS
SELECT valuecheck.discount_leakage_trans(NULL::valuecheck.leakage_state, 1e131000, 1e-16383) AS s;
CREATE TABLE lks.huge_back (LIKE lks.huge);
COPY lks.huge TO :'binfile' (FORMAT binary);
COPY lks.huge_back FROM :'binfile' (FORMAT binary);
SELECT h.s::text = b.s::text AS same_text,
       valuecheck.discount_leakage_final(b.s) = 1e131000 - 1e-16383 AS exact
  FROM lks.huge h, lks.huge_back b;

-- ---------------------------------------------------------------------------
-- Garbage in the text form
-- ---------------------------------------------------------------------------
SELECT 'garbage'::valuecheck.leakage_state;
SELECT ''::valuecheck.leakage_state;
SELECT 'v2:leakage lines=1'::valuecheck.leakage_state;
SELECT 'v1:nothing lines=1'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=-1 discount=0/0/0/0/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1x discount=0/0/0/0/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=99999999999999999999 discount=0/0/0/0/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=abc/1/0/1/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=1.5/1/0/1/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=NaN/0/0/0/1/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=5/2/0/2/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=5/1/0/1/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=5/1/0/1/0/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=5/1/99999/1/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=5/1/0/0/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 discount=5/1/0/1/0/0/0 extra=1'::valuecheck.leakage_state;
SELECT 'v1:discount_leakage lines=1 units=5/1/0/1/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:floor_leakage lines=2 below_floor_lines=3 floor_leakage=0/0/0/0/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:floor_leakage lines=2 below_floor_lines=1 floor_leakage=7/2/0/2/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:leakage lines=1 discounted_lines=0 below_floor_lines=0 units=1/1/0/1/0/0/0 list_revenue=1/1/0/1/0/0/0 net_revenue=1/1/0/1/0/0/0 floor_leakage=0/0/0/0/0/0/0 max_rate=0/1/0/0/0'::valuecheck.leakage_state;
SELECT 'v1:leakage lines=1 discounted_lines=0 below_floor_lines=0 units=1/1/0/1/0/0/0 list_revenue=1/1/0/1/0/0/0 net_revenue=1/1/0/1/0/0/0 floor_leakage=0/0/0/0/0/0/0 max_rate=5/-/0/0/0'::valuecheck.leakage_state;
-- and good ones, written by hand
SELECT valuecheck.discount_leakage_final('v1:discount_leakage  lines=2   discount=12.50/2/2/1/0/0/0');
SELECT valuecheck.leakage_final('v1:leakage lines=1 discounted_lines=1 below_floor_lines=0 units=2/1/0/1/0/0/0 list_revenue=20.00/1/2/1/0/0/0 net_revenue=16/1/0/1/0/0/0 floor_leakage=0/0/0/0/0/0/0 max_rate=10.00/8/0/0/0');
SELECT valuecheck.leakage_final('v1:leakage lines=0 discounted_lines=0 below_floor_lines=0 units=0/0/0/0/0/0/0 list_revenue=0/0/0/0/0/0/0 net_revenue=0/0/0/0/0/0/0 floor_leakage=0/0/0/0/0/0/0 max_rate=-/-/0/0/0') IS NULL AS no_rows;

-- ---------------------------------------------------------------------------
-- Garbage in the binary form: bytes written to a file with COPY, read back
-- as a leakage_state column (each row: the bytes of one field)
-- ---------------------------------------------------------------------------
CREATE TABLE lks.raw (b bytea);
CREATE TABLE lks.one (s valuecheck.leakage_state);
CREATE FUNCTION lks.recv(b bytea, path text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE lks.raw, lks.one;
    INSERT INTO lks.raw VALUES (b);
    EXECUTE format('COPY lks.raw TO %L (FORMAT binary)', path);
    EXECUTE format('COPY lks.one FROM %L (FORMAT binary)', path);
    RETURN (SELECT s::text FROM lks.one);
EXCEPTION WHEN OTHERS THEN
    DECLARE
        detail text;
    BEGIN
        GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
        RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM
               || COALESCE(' (' || NULLIF(detail, '') || ')', '');
    END;
END
$$;
CREATE TABLE lks.good AS
SELECT valuecheck.leakage_state_send(s) AS b FROM lks.states WHERE kind = 'leakage' AND g = 1;
SELECT lks.recv(b, :'binfile') AS as_sent FROM lks.good;
SELECT lks.recv(set_byte(b, 0, 2), :'binfile') AS wrong_version FROM lks.good;
SELECT lks.recv(set_byte(b, 1, 9), :'binfile') AS wrong_kind FROM lks.good;
SELECT lks.recv(substr(b, 1, 20), :'binfile') AS truncated FROM lks.good;
SELECT lks.recv(substr(b, 1, length(b) - 1), :'binfile') AS one_byte_short FROM lks.good;
SELECT lks.recv(b || '\x00'::bytea, :'binfile') AS trailing_byte FROM lks.good;
SELECT lks.recv(overlay(b placing '\xffffffffffffffff'::bytea from 3), :'binfile') AS negative_lines FROM lks.good;
SELECT lks.recv(overlay(b placing '\x7fffffff'::bytea from 27), :'binfile') AS huge_numeric_length FROM lks.good;
SELECT lks.recv(overlay(b placing '\xffff'::bytea from 31), :'binfile') AS negative_ndigits FROM lks.good;
SELECT lks.recv(overlay(b placing '\x7777'::bytea from 35), :'binfile') AS bad_numeric_sign FROM lks.good;
SELECT lks.recv(overlay(b placing '\x7777'::bytea from 37), :'binfile') AS bad_numeric_scale FROM lks.good;
SELECT lks.recv(overlay(b placing '\x2711'::bytea from 39), :'binfile') AS bad_numeric_digit FROM lks.good;
SELECT lks.recv('\x'::bytea, :'binfile') AS empty;
SELECT lks.recv('\x01'::bytea, :'binfile') AS only_version;
-- a state whose counts disagree
SELECT lks.recv(valuecheck.leakage_state_send(
           'v1:discount_leakage lines=3 discount=12.50/2/2/1/0/0/0'), :'binfile') AS good_discount;
SELECT lks.recv(overlay(valuecheck.leakage_state_send(
           'v1:discount_leakage lines=3 discount=12.50/2/2/1/0/0/0') placing '\x0000000000000001'::bytea from 3),
           :'binfile') AS fewer_lines_than_values;
SELECT lks.recv(overlay(valuecheck.leakage_state_send(
           'v1:discount_leakage lines=3 discount=12.50/2/2/1/0/0/0') placing '\x00000001'::bytea from 35),
           :'binfile') AS digits_beyond_scale;

DROP SCHEMA lks CASCADE;
