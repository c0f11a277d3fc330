-- Runs first (Makefile REGRESS, test/run.sh): what the other pg_regress
-- tests share, in schema vc_test of the test database.  Every test file
-- still creates the extension it needs itself.

CREATE SCHEMA vc_test;

-- vc_test.err(statement): run it and return the fields of the error it
-- raises (or 'no error'), so a test can show the SQLSTATE, constraint,
-- table, schema, message, detail and hint of a refusal.
CREATE FUNCTION vc_test.err(stmt text) RETURNS TABLE (field text, value text)
LANGUAGE plpgsql AS $$
DECLARE
    st text; cn text; tn text; sn text; msg text; det text; hin text;
BEGIN
    EXECUTE stmt;
    RETURN QUERY SELECT 'no error'::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME,
        tn = TABLE_NAME, sn = SCHEMA_NAME, msg = MESSAGE_TEXT,
        det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
    RETURN QUERY VALUES ('sqlstate', st), ('constraint', cn), ('table', tn),
        ('schema', sn), ('message', msg), ('detail', det), ('hint', hin);
END
$$;

-- it reports an error's fields, and says when there was none
SELECT * FROM vc_test.err('SELECT 1/0');
SELECT * FROM vc_test.err('SELECT 1');
