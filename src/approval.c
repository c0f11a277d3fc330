/*
 * approval.c
 *		Approvals: exceptions to value floors granted by a sales manager.
 *
 * valuecheck.approve() and valuecheck.revoke_approval() are granted to
 * managers; the enforcement trigger takes uses.  All three write
 * valuecheck.approvals with the rights of its owner, switched for that step
 * only, so neither managers nor reps need (or get) write access to it.
 *
 * Use counting: the trigger checks the approval's terms without a lock,
 * then, to take a use, locks the approval row (SELECT ... FOR UPDATE) and
 * checks again, so of two transactions racing for the last use the second
 * waits, then sees the first's committed count (READ COMMITTED) or fails
 * to serialize (REPEATABLE READ).  The increment is an ordinary update in
 * the writer's transaction: a rollback gives the use back.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "valuecheck.h"

PG_FUNCTION_INFO_V1(valuecheck_approve);
PG_FUNCTION_INFO_V1(valuecheck_revoke_approval);
PG_FUNCTION_INFO_V1(valuecheck_parse_approval_id);

static SPIPlanPtr read_plan = NULL;
static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr use_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr revoke_plan = NULL;

/*
 * An approval row, as the checks read it.
 */
typedef struct ApprovalTerms
{
	char	   *product;
	char	   *campaign;		/* NULL = any */
	char	   *rep;			/* NULL = any */
	Numeric		min_price;
	bool		limited;		/* max_uses is set */
	int32		max_uses;
	int32		uses;
	TimestampTz expires_at;
	bool		revoked;
	TimestampTz revoked_at;
} ApprovalTerms;

#define APPROVAL_COLUMNS \
	"SELECT a.product, a.campaign, a.rep, a.min_price," \
	"       a.max_uses, a.uses, a.expires_at, a.revoked_at" \
	"  FROM valuecheck.approvals a" \
	" WHERE a.approval_id OPERATOR(pg_catalog.=) $1"

/*
 * Read approval "id" (inside SPI, as the owner of valuecheck.approvals)
 * into SPI_tuptable; no row: it does not exist.  With "lock", the row is
 * locked FOR UPDATE: of several transactions taking or revoking it, one
 * waits for the other, and in READ COMMITTED the waiter reads the row as
 * the other left it.  Without, nothing is locked: a write that names an
 * approval which does not cover it must not block the approval's owner.
 */
static void
read_approval(Datum id, bool lock)
{
	Oid			types[1] = {INT8OID};
	int			ret;

	if (lock)
		ret = SPI_execute_plan(spi_plan_once(&lock_plan,
											 APPROVAL_COLUMNS " FOR UPDATE",
											 1, types),
							   &id, NULL, false, 0);
	else
		ret = SPI_execute_plan(spi_plan_once(&read_plan, APPROVAL_COLUMNS,
											 1, types),
							   &id, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading valuecheck.approvals failed: %s",
			 SPI_result_code_string(ret));
}

/*
 * An approval id is a positive bigint written in plain digits; anything
 * else in the approval column names no approval, and so does a value that
 * does not fit in bigint (it must not wrap around to a small id).
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
		/* v * 10 + digit <= PG_INT64_MAX, tested without overflowing */
		if (v > ((uint64) PG_INT64_MAX - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
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
 * The approval just read into SPI_tuptable, copied into "cxt"; false when
 * there is none.
 */
static bool
approval_terms(MemoryContext cxt, ApprovalTerms *t)
{
	MemoryContext oldcxt;

	if (SPI_processed == 0)
		return false;
	oldcxt = MemoryContextSwitchTo(cxt);
	t->product = spi_string(1);
	t->campaign = spi_string(2);
	t->rep = spi_string(3);
	t->min_price = DatumGetNumericCopy(spi_datum(4));
	t->limited = !spi_isnull(5);
	t->max_uses = t->limited ? DatumGetInt32(spi_datum(5)) : 0;
	t->uses = DatumGetInt32(spi_datum(6));
	t->expires_at = DatumGetTimestampTz(spi_datum(7));
	t->revoked = !spi_isnull(8);
	t->revoked_at = t->revoked ? DatumGetTimestampTz(spi_datum(8)) : 0;
	MemoryContextSwitchTo(oldcxt);
	return true;
}

static bool
same_text(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/*
 * Does the approval cover the line for a new use?  NULL if it does, else
 * which condition failed, as the end of a sentence about the approval.
 * The approval's own terms (product, campaign, rep, minimum price, uses)
 * are named only to a writer who may read valuecheck.approvals
 * ("disclose"); others learn only which condition failed.
 */
static char *
approval_mismatch(const ApprovalTerms *t, const ApprovalRequest *req,
				  bool disclose)
{
	if (t->revoked)
		return disclose ?
			psprintf("it was revoked at %s",
					 timestamptz_text(TimestampTzGetDatum(t->revoked_at))) :
			pstrdup("it was revoked");
	if (!same_text(t->product, req->product))
		return disclose ?
			psprintf("it is for product \"%s\"", t->product) :
			pstrdup("it is for another product");
	if (t->campaign && !same_text(t->campaign, req->campaign))
		return disclose ?
			psprintf("it is for campaign \"%s\"", t->campaign) :
			pstrdup("it is for another campaign");
	if (t->rep && !same_text(t->rep, req->rep))
		return disclose ?
			psprintf("it is for rep \"%s\"", t->rep) :
			pstrdup("it is for another rep");
	/* judged at the time of the write: the transaction's start */
	if (t->expires_at <= GetCurrentTransactionStartTimestamp())
		return disclose ?
			psprintf("it expired at %s",
					 timestamptz_text(TimestampTzGetDatum(t->expires_at))) :
			pstrdup("it has expired");
	if (vc_numeric_less(req->price, t->min_price))
		return disclose ?
			psprintf("it allows no price below %s", vc_numeric_text(t->min_price)) :
			pstrdup("the price is below the approved minimum");
	if (t->limited && t->uses >= t->max_uses)
		return disclose ?
			psprintf("it has no uses left (%d of %d used)", t->uses, t->max_uses) :
			pstrdup("it has no uses left");
	return NULL;
}

/*
 * May an UPDATE keep the approval its old row held, without a new use?
 * The caller has checked that the update cannot widen what the approval
 * covers (same approval, old row below its floor now, product, campaign,
 * currency and rep kept, price not lowered, quantity not raised); here the
 * old row must have met the approval's terms.  Expiry and revocation stop
 * new uses only, so they are not checked.
 */
static bool
approval_kept(const ApprovalTerms *t, const ApprovalRequest *req)
{
	return same_text(t->product, req->product) &&
		(t->campaign == NULL || same_text(t->campaign, req->campaign)) &&
		(t->rep == NULL || same_text(t->rep, req->rep)) &&
		!vc_numeric_less(req->kept_price, t->min_price);
}

/* May the current user read valuecheck.approvals? */
static bool
may_read_approvals(void)
{
	Oid			relid = get_relname_relid("approvals",
										  get_namespace_oid("valuecheck", false));

	return OidIsValid(relid) &&
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK;
}

/*
 * Check the approval a below-floor line names and take one of its uses, or
 * (req->kept_price set) let an UPDATE keep the approval its old row held.
 * Returns the approval id, or -1 with *failure saying which condition
 * failed (as the end of a sentence about the approval).
 *
 * The terms are checked without a lock; only taking a use locks the
 * approval row, and the terms are checked again under that lock.  So a
 * write naming an approval that does not cover it (in warn mode, where the
 * writer's transaction goes on) never blocks the approval's rightful use
 * or its revocation.
 */
int64
approval_use(const ApprovalRequest *req, char **failure)
{
	MemoryContext callercxt = CurrentMemoryContext;
	Datum		args[1];
	int64		id;
	bool		disclose;
	ApprovalTerms terms;
	Oid			save_userid;
	int			save_sec;
	int			ret;
	char	   *why = NULL;
	bool		kept = false;

	if (!approval_id_parse(req->approval_value, &id))
	{
		*failure = pstrdup("it is not a valid approval id");
		return -1;
	}
	args[0] = Int64GetDatum(id);
	disclose = may_read_approvals();

	run_as_owner(valuecheck_table_owner("approvals"), &save_userid, &save_sec);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	read_approval(args[0], false);
	if (!approval_terms(callercxt, &terms))
		why = "it does not exist";
	else if (req->kept_price != NULL && approval_kept(&terms, req))
		kept = true;
	else if ((why = approval_mismatch(&terms, req, disclose)) == NULL)
	{
		/* take the use: lock, then judge the row as it is now */
		read_approval(args[0], true);
		if (!approval_terms(callercxt, &terms))
			why = "it does not exist";
		else
			why = approval_mismatch(&terms, req, disclose);
	}

	if (why == NULL && !kept)
	{
		Oid			types[1] = {INT8OID};

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
	if (vc_numeric_is_special(min_price) ||
		vc_numeric_less(min_price, vc_int64_to_numeric(0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_price of an approval must be a finite number at least 0, not %s",
						vc_numeric_text(min_price))));

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
	read_approval(values[0], true);
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
