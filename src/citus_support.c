/*
 * citus_support.c
 *		Whether this database holds Citus's metadata: the one test every
 *		part of valuecheck that behaves differently on a Citus node uses
 *		(the floors' local shard placement, a shard's distributed table
 *		name, the logs of every node).
 *
 * Citus creates its catalog tables (pg_dist_shard, pg_dist_node, ...) in
 * pg_catalog with CREATE EXTENSION citus; without them there is nothing to
 * ask, and valuecheck behaves as on a single server.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "utils/lsyscache.h"

#include "valuecheck.h"

bool
vc_citus_present(void)
{
	return OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)) &&
		OidIsValid(get_relname_relid("pg_dist_node", PG_CATALOG_NAMESPACE));
}
