/*
 * cluster_log.c
 *		valuecheck.node_logs(): the violations or exceptions rows of every
 *		node of a Citus cluster, for valuecheck.cluster_violations() and
 *		valuecheck.cluster_exceptions().
 *
 * On Citus the enforcement trigger fires on the worker that stores a line,
 * and writes its log row into that worker's own valuecheck.violations or
 * valuecheck.exceptions.  A GRANT made on the coordinator does not reach
 * those tables, so an analyst could not read them.  Here the privilege is
 * checked once, on this node: whoever may SELECT this node's log table may
 * read the log of every node.  Only then, for the reading of the other
 * nodes alone, the user is switched to the log table's owner, who runs one
 * fixed query there (json_agg over the log table: builtin types only)
 * through Citus's master_run_on_worker().  This node's own rows are read
 * by the caller's SQL, with the caller's rights.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "valuecheck.h"

PG_FUNCTION_INFO_V1(valuecheck_node_logs);

/* This node in pg_dist_node (NULLs if it is not listed). */
#define LOCAL_NODE_SQL \
	"SELECT n.nodename, n.nodeport" \
	"  FROM pg_catalog.pg_dist_node n" \
	"  JOIN pg_catalog.pg_dist_local_group g ON g.groupid OPERATOR(pg_catalog.=) n.groupid" \
	" WHERE n.noderole OPERATOR(pg_catalog.=) 'primary'" \
	"   AND n.nodecluster OPERATOR(pg_catalog.=) pg_catalog.current_setting('citus.cluster_name')" \
	" ORDER BY n.nodeid LIMIT 1"

/* $1 (the fixed query) on every other active primary node, in parallel. */
#define OTHER_NODES_SQL \
	"SELECT r.node_name, r.node_port, r.success, r.result" \
	"  FROM (SELECT pg_catalog.array_agg(n.nodename ORDER BY n.nodename, n.nodeport) AS names," \
	"               pg_catalog.array_agg(n.nodeport ORDER BY n.nodename, n.nodeport) AS ports" \
	"          FROM pg_catalog.pg_dist_node n" \
	"         WHERE n.isactive AND n.noderole OPERATOR(pg_catalog.=) 'primary'" \
	"           AND n.nodecluster OPERATOR(pg_catalog.=) pg_catalog.current_setting('citus.cluster_name')" \
	"           AND n.groupid OPERATOR(pg_catalog.<>) ALL (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g)) w," \
	"       pg_catalog.master_run_on_worker(w.names, w.ports," \
	"           pg_catalog.array_fill($1, ARRAY[pg_catalog.cardinality(w.names)]), true) r" \
	" WHERE w.names IS NOT NULL"

/*
 * valuecheck.node_logs(log text, OUT nodename text, OUT nodeport integer,
 * OUT rows json): one row per node of the cluster.  This node's row has
 * NULL "rows" (the caller reads its table itself); every other node's holds
 * its valuecheck.<log> rows as a JSON array.  Without Citus, only this
 * node's row, with NULL name and port.
 */
Datum
valuecheck_node_logs(PG_FUNCTION_ARGS)
{
	char	   *log = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	AclResult	aclresult;
	Datum		values[3];
	bool		nulls[3] = {true, true, true};
	uint64		i;

	if (strcmp(log, "violations") != 0 && strcmp(log, "exceptions") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a valuecheck log", log),
				 errhint("The logs are \"violations\" and \"exceptions\".")));
	relid = get_relname_relid(log, get_namespace_oid("valuecheck", false));
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table valuecheck.%s does not exist", log)));

	/* the caller's right on this node decides, for every node */
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, log);
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("valuecheck.cluster_%s() does not apply row-level security", log),
				 errdetail("Row-level security is enabled on valuecheck.%s for the current user.", log),
				 errhint("Query valuecheck.%s on each node instead.", log)));

	InitMaterializedSRF(fcinfo, 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (vc_citus_present())
	{
		if (SPI_execute(LOCAL_NODE_SQL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "reading pg_dist_node failed");
		if (SPI_processed == 1)
		{
			values[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &nulls[0]);
			values[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &nulls[1]);
		}
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

	if (vc_citus_present() &&
		OidIsValid(get_extension_oid("citus", true)))
	{
		char	   *query = psprintf("SELECT COALESCE(pg_catalog.json_agg(l), '[]'::pg_catalog.json)"
									 "  FROM valuecheck.%s l", log);
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];
		Oid			save_userid;
		int			save_sec;
		int			ret;

		args[0] = CStringGetTextDatum(query);
		run_as_owner(valuecheck_table_owner(log), &save_userid, &save_sec);
		ret = SPI_execute_with_args(OTHER_NODES_SQL, 1, argtypes, args, NULL, false, 0);
		restore_user(save_userid, save_sec);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "reading the other nodes' valuecheck.%s failed: %s", log,
				 SPI_result_code_string(ret));

		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			bool		success = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));

			if (isnull || !success)
				ereport(ERROR,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("could not read valuecheck.%s on node %s:%s", log,
								SPI_getvalue(tup, desc, 1), SPI_getvalue(tup, desc, 2)),
						 errdetail("%s", SPI_getvalue(tup, desc, 4) ? SPI_getvalue(tup, desc, 4) : "no result")));
			values[0] = SPI_getbinval(tup, desc, 1, &nulls[0]);
			values[1] = SPI_getbinval(tup, desc, 2, &nulls[1]);
			values[2] = DirectFunctionCall1(json_in,
											CStringGetDatum(SPI_getvalue(tup, desc, 4)));
			nulls[2] = false;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}

	SPI_finish();
	return (Datum) 0;
}
