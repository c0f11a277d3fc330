/*
 * line_log.c
 *		Rows the enforcement trigger writes: valuecheck.violations (warn
 *		mode) and valuecheck.exceptions (approved below-floor lines).
 *
 * The writer of an order line may not write these tables, so the insert
 * runs with the rights of the table's owner, switched for that step only.
 * Only statements of our own, with fixed text, run under that identity.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "valuecheck.h"

static SPIPlanPtr violation_plan = NULL;
static SPIPlanPtr exception_plan = NULL;

static Datum
text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

static Datum
numeric_or_null(Numeric n, char *null)
{
	*null = n ? ' ' : 'n';
	return n ? NumericGetDatum(n) : (Datum) 0;
}

static void
insert_as_owner(const char *table, SPIPlanPtr *plan, const char *sql,
				int nargs, Oid *types, Datum *values, char *nulls)
{
	Oid			owner = valuecheck_table_owner(table);
	Oid			save_userid;
	int			save_sec;
	int			ret;

	run_as_owner(owner, &save_userid, &save_sec);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_plan(spi_plan_once(plan, sql, nargs, types), values, nulls,
						   false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "inserting into valuecheck.%s failed: %s", table,
			 SPI_result_code_string(ret));
	SPI_finish();
	restore_user(save_userid, save_sec);
}

void
log_violation(const char *relation, const char *product, const char *campaign,
			  const char *rep, Numeric price, Numeric floor, int64 floor_id)
{
	Oid			types[9] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, NUMERICOID,
	NUMERICOID, INT8OID, TIMESTAMPTZOID, NAMEOID};
	Datum		values[9];
	char		nulls[9];

	values[0] = CStringGetTextDatum(relation);
	nulls[0] = ' ';
	values[1] = text_or_null(product, &nulls[1]);
	values[2] = text_or_null(campaign, &nulls[2]);
	values[3] = text_or_null(rep, &nulls[3]);
	values[4] = numeric_or_null(price, &nulls[4]);
	values[5] = numeric_or_null(floor, &nulls[5]);
	values[6] = Int64GetDatum(floor_id);
	nulls[6] = floor_id >= 0 ? ' ' : 'n';
	values[7] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	nulls[7] = ' ';
	values[8] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	nulls[8] = ' ';

	insert_as_owner("violations", &violation_plan,
					"INSERT INTO valuecheck.violations"
					" (relation, product, campaign, rep, price, floor, floor_id,"
					"  logged_at, logged_by)"
					" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
					9, types, values, nulls);
}

void
log_exception(const char *relation, int64 approval_id, const char *product,
			  const char *campaign, const char *rep,
			  Numeric price, Numeric floor)
{
	Oid			types[9] = {TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID,
	NUMERICOID, NUMERICOID, TIMESTAMPTZOID, NAMEOID};
	Datum		values[9];
	char		nulls[9];

	values[0] = CStringGetTextDatum(relation);
	nulls[0] = ' ';
	values[1] = Int64GetDatum(approval_id);
	nulls[1] = ' ';
	values[2] = text_or_null(product, &nulls[2]);
	values[3] = text_or_null(campaign, &nulls[3]);
	values[4] = text_or_null(rep, &nulls[4]);
	values[5] = numeric_or_null(price, &nulls[5]);
	values[6] = numeric_or_null(floor, &nulls[6]);
	values[7] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	nulls[7] = ' ';
	values[8] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	nulls[8] = ' ';

	insert_as_owner("exceptions", &exception_plan,
					"INSERT INTO valuecheck.exceptions"
					" (relation, approval_id, product, campaign, rep, price, floor,"
					"  logged_at, logged_by)"
					" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
					9, types, values, nulls);
}
