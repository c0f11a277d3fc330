/*
 * spi_support.c
 *		Plumbing for the statements valuecheck runs itself: plans prepared
 *		once and kept, and the switch to the rights of the owner of
 *		valuecheck's tables for the one step that must write them (a use of
 *		an approval, a violations or exceptions row, reading the logs of
 *		other Citus nodes).
 *
 * Only statements of our own, with fixed text, run under the owner's
 * identity, in a restricted security context (as PostgreSQL runs
 * maintenance commands as a table's owner): no code of the caller's runs
 * with those rights.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "valuecheck.h"

/*
 * The saved plan of one of our fixed statements, prepared on first use.
 * Must run inside SPI.
 */
SPIPlanPtr
spi_plan_once(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, types);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*plan = p;
	}
	return *plan;
}

/* The owner of valuecheck.<relname>. */
Oid
valuecheck_table_owner(const char *relname)
{
	Oid			nsp = get_namespace_oid("valuecheck", false);
	Oid			relid = get_relname_relid(relname, nsp);
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table valuecheck.%s does not exist", relname)));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

void
run_as_owner(Oid owner, Oid *save_userid, int *save_sec_context)
{
	GetUserIdAndSecContext(save_userid, save_sec_context);
	SetUserIdAndSecContext(owner, *save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

void
restore_user(Oid save_userid, int save_sec_context)
{
	SetUserIdAndSecContext(save_userid, save_sec_context);
}
