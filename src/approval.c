/*
 * approval.c
 *		Approvals: exceptions to value floors granted by a sales manager.
 *
 * valuecheck.approve() and valuecheck.revoke_approval() are granted to
 * managers; the enforcement trigger takes uses.  All three write
 * valuecheck.approvals with the rights of its owner, switched for that step
 * only, so neither managers nor reps need (or get) write access to it.
 *
 * Use counting: the trigger locks the approval row (SELECT ... FOR UPDATE)
 * before judging it, so of two transactions racing for the last use the
 * second waits, then sees the first's committed count (READ COMMITTED) or
 * fails to serialize (REPEATABLE READ).  The increment is an ordinary
 * update in the writer's transaction: a rollback gives the use back.
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

PG_FUNCTION_INFO_V1(valuecheck_approve);
PG_FUNCTION_INFO_V1(valuecheck_revoke_approval);
PG_FUNCTION_INFO_V1(valuecheck_parse_approval_id);

static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr use_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr revoke_plan = NULL;

/*
 * Read approval "id" into SPI_tuptable (no row: it does not exist), locking
 * it: of several transactions taking or revoking it, one waits for the
 * other.  Columns: product, campaign, rep, min_price, max_uses, uses,
 * expires_at, revoked_at.
 */
static void
lock_approval(Datum id)
{
	Oid			types[1] = {INT8OID};
	int			ret;

	ret = SPI_execute_plan(spi_plan_once(&lock_plan,
									 "SELECT a.product, a.campaign, a.rep, a.min_price,"
									 "       a.max_uses, a.uses, a.expires_at, a.revoked_at"
									 "  FROM valuecheck.approvals a"
									 " WHERE a.approval_id OPERATOR(pg_catalog.=) $1"
									 "   FOR UPDATE",
									 1, types),
						   &id, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading valuecheck.approvals failed: %s",
			 SPI_result_code_string(ret));
}

/*
 * An approval id is a positive bigint written in plain digits; anything
 * else in the approval column names no approval.
 */
bool
approval_id_parse(const char *value, int64 *id)
{
	uint64		v = 0;
	const char *p = value;

	if (*p == '\0')
		return false;
	for (; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
		if (v > (uint64) PG_INT64_MAX)
			return false;
	}
	if (v == 0)
		return false;
	*id = (int64) v;
	return true;
}

static char *
timestamptz_text(Datum ts)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out, ts));
}

static bool
spi_isnull(int col)
{
	bool		isnull;

	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
	return isnull;
}

static Datum
spi_datum(int col)
{
	bool		isnull;

	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
}

static char *
spi_string(int col)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

/*
 * Check the approval a below-floor line names and, when req->consume, take
 * one of its uses.  Returns the approval id, or -1 with *failure saying
 * which condition failed (as the end of a sentence about the approval).
 */
int64
approval_use(const ApprovalRequest *req, char **failure)
{
	MemoryContext callercxt = CurrentMemoryContext;
	Oid			types[1] = {INT8OID};
	Datum		args[1];
	int64		id;
	Oid			save_userid;
	int			save_sec;
	int			ret;
	char	   *why = NULL;

	if (!approval_id_parse(req->approval_value, &id))
	{
		*failure = pstrdup("it is not a valid approval id");
		return -1;
	}
	args[0] = Int64GetDatum(id);

	run_as_owner(valuecheck_table_owner("approvals"), &save_userid, &save_sec);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	lock_approval(args[0]);

	if (SPI_processed == 0)
		why = "it does not exist";
	else
	{
		char	   *product = spi_string(1);
		char	   *campaign = spi_string(2);
		char	   *rep = spi_string(3);
		Numeric		min_price = DatumGetNumeric(spi_datum(4));
		TimestampTz expires_at = DatumGetTimestampTz(spi_datum(7));
		MemoryContext spicxt = MemoryContextSwitchTo(callercxt);

		if (!spi_isnull(8))
			why = psprintf("it was revoked at %s", timestamptz_text(spi_datum(8)));
		else if (strcmp(product, req->product) != 0)
			why = psprintf("it is for product \"%s\"", product);
		else if (campaign && (req->campaign == NULL || strcmp(campaign, req->campaign) != 0))
			why = psprintf("it is for campaign \"%s\"", campaign);
		else if (rep && (req->rep == NULL || strcmp(rep, req->rep) != 0))
			why = psprintf("it is for rep \"%s\"", rep);
		else if (expires_at <= GetCurrentTransactionStartTimestamp())
			why = psprintf("it expired at %s", timestamptz_text(spi_datum(7)));
		else if (numeric_less(req->price, min_price))
			why = psprintf("it allows no price below %s", numeric_text(min_price));
		else if (req->consume && !spi_isnull(5) &&
				 DatumGetInt32(spi_datum(6)) >= DatumGetInt32(spi_datum(5)))
			why = psprintf("it has no uses left (%d of %d used)",
						   DatumGetInt32(spi_datum(6)), DatumGetInt32(spi_datum(5)));
		MemoryContextSwitchTo(spicxt);
	}

	if (why == NULL && req->consume)
	{
		ret = SPI_execute_plan(spi_plan_once(&use_plan,
										 "UPDATE valuecheck.approvals"
										 "   SET uses = uses OPERATOR(pg_catalog.+) 1"
										 " WHERE approval_id OPERATOR(pg_catalog.=) $1",
										 1, types),
							   args, NULL, false, 0);
		if (ret != SPI_OK_UPDATE || SPI_processed != 1)
			elog(ERROR, "taking a use of approval " INT64_FORMAT " failed", id);
	}

	SPI_finish();
	restore_user(save_userid, save_sec);

	if (why)
	{
		*failure = MemoryContextStrdup(callercxt, why);
		return -1;
	}
	return id;
}

static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s of an approval must not be NULL", name)));
}

/*
 * valuecheck.approve(product, min_price, reason, expires_at, campaign, rep,
 *					  max_uses) RETURNS bigint
 */
Datum
valuecheck_approve(PG_FUNCTION_ARGS)
{
	Oid			types[8] = {TEXTOID, TEXTOID, TEXTOID, NUMERICOID, INT4OID,
	TIMESTAMPTZOID, TEXTOID, NAMEOID};
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	Numeric		min_price;
	char	   *reason;
	Oid			save_userid;
	int			save_sec;
	int			ret;
	bool		isnull;
	int64		id;

	require_arg(fcinfo, 0, "product");
	require_arg(fcinfo, 1, "min_price");
	require_arg(fcinfo, 2, "reason");
	require_arg(fcinfo, 3, "expires_at");

	min_price = PG_GETARG_NUMERIC(1);
	if (numeric_is_nan(min_price) ||
		numeric_less(min_price, vc_int64_to_numeric(0)) ||
		strcmp(numeric_text(min_price), "Infinity") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_price of an approval must be a finite number at least 0, not %s",
						numeric_text(min_price))));

	reason = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (reason[strspn(reason, " \t\r\n\f\v")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason of an approval must not be blank"),
				 errhint("Say why the exception is granted.")));

	if (PG_GETARG_TIMESTAMPTZ(3) <= GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expiry of an approval must be in the future, not %s",
						timestamptz_text(PG_GETARG_DATUM(3)))));

	if (!PG_ARGISNULL(6) && PG_GETARG_INT32(6) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_uses of an approval must be positive, not %d",
						PG_GETARG_INT32(6)),
				 errhint("Pass NULL for an approval without a limit of uses.")));

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_ARGISNULL(4) ? (Datum) 0 : PG_GETARG_DATUM(4);
	nulls[1] = PG_ARGISNULL(4) ? 'n' : ' ';
	values[2] = PG_ARGISNULL(5) ? (Datum) 0 : PG_GETARG_DATUM(5);
	nulls[2] = PG_ARGISNULL(5) ? 'n' : ' ';
	values[3] = NumericGetDatum(min_price);
	values[4] = PG_ARGISNULL(6) ? (Datum) 0 : PG_GETARG_DATUM(6);
	nulls[4] = PG_ARGISNULL(6) ? 'n' : ' ';
	values[5] = PG_GETARG_DATUM(3);
	values[6] = CStringGetTextDatum(reason);
	values[7] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(GetUserId(), false)));

	run_as_owner(valuecheck_table_owner("approvals"), &save_userid, &save_sec);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_plan(spi_plan_once(&insert_plan,
									 "INSERT INTO valuecheck.approvals"
									 " (product, campaign, rep, min_price, max_uses,"
									 "  expires_at, reason, approved_by)"
									 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
									 " RETURNING approval_id",
									 8, types),
						   values, nulls, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "inserting into valuecheck.approvals failed: %s",
			 SPI_result_code_string(ret));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	restore_user(save_userid, save_sec);

	PG_RETURN_INT64(id);
}

/*
 * valuecheck.revoke_approval(approval_id) RETURNS void
 */
Datum
valuecheck_revoke_approval(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	Oid			types[3] = {INT8OID, TIMESTAMPTZOID, NAMEOID};
	Datum		values[3];
	Oid			save_userid;
	int			save_sec;
	int			ret;
	int			found;			/* 0 unknown, 1 revoked now, 2 was revoked */

	values[0] = Int64GetDatum(id);
	values[1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	values[2] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(GetUserId(), false)));

	run_as_owner(valuecheck_table_owner("approvals"), &save_userid, &save_sec);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* lock first: a line taking a use waits for us, or we for it */
	lock_approval(values[0]);
	if (SPI_processed == 0)
		found = 0;
	else if (!spi_isnull(8))
		found = 2;
	else
	{
		ret = SPI_execute_plan(spi_plan_once(&revoke_plan,
										 "UPDATE valuecheck.approvals"
										 "   SET revoked_at = $2, revoked_by = $3"
										 " WHERE approval_id OPERATOR(pg_catalog.=) $1",
										 3, types),
							   values, NULL, false, 0);
		if (ret != SPI_OK_UPDATE || SPI_processed != 1)
			elog(ERROR, "revoking approval " INT64_FORMAT " failed", id);
		found = 1;
	}
	SPI_finish();
	restore_user(save_userid, save_sec);

	if (found == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("approval " INT64_FORMAT " does not exist", id)));
	if (found == 2)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("approval " INT64_FORMAT " is already revoked", id)));
	PG_RETURN_VOID();
}

/*
 * valuecheck.parse_approval_id(text) RETURNS bigint: the approval id an
 * approval column value names, or NULL; the trigger's own parser.
 */
Datum
valuecheck_parse_approval_id(PG_FUNCTION_ARGS)
{
	int64		id;

	if (!approval_id_parse(text_to_cstring(PG_GETARG_TEXT_PP(0)), &id))
		PG_RETURN_NULL();
	PG_RETURN_INT64(id);
}
