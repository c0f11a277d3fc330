/*
 * protection_config.c
 *		The column mapping of a protected table.
 *
 * The enforcement trigger's own arguments ("product=sku", "price=unit_price",
 * ..., "mode=enforce", "unknown_product=allow") are the single source of
 * truth: the trigger resolves them against the relation it fires on, and
 * the valuecheck.protected view reads them back through
 * valuecheck.trigger_mapping(), which uses the same parser.
 *
 * Resolved mappings are cached per trigger OID (a partition's cloned trigger
 * has its own OID and its own attribute numbers) and marked stale by a
 * relcache callback, so a renamed, dropped or retyped column is noticed.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "catalog/namespace.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "compat.h"
#include "valuecheck.h"

PG_FUNCTION_INFO_V1(valuecheck_trigger_mapping);
PG_FUNCTION_INFO_V1(valuecheck_check_mapping);

const char *const mapped_role_names[NUM_ROLES] = {
	"product", "price", "list_price", "quantity", "campaign", "rep",
	"currency", "ordered_at", "approval"
};

static HTAB *config_hash = NULL;
static ProtectionConfig *last_config = NULL;	/* entries never move or go */

static void
config_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	ProtectionConfig *entry;

	if (config_hash == NULL)
		return;
	hash_seq_init(&status, config_hash);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || entry->relid == relid)
			entry->valid = false;
	}
}

/* The role a trigger argument's key names, or -1. */
static int
mapped_role_of(const char *key, size_t keylen)
{
	int			role;

	for (role = 0; role < NUM_ROLES; role++)
		if (strlen(mapped_role_names[role]) == keylen &&
			strncmp(key, mapped_role_names[role], keylen) == 0)
			return role;
	return -1;
}

/*
 * Parse trigger arguments.  Returns NULL, or what is wrong with them (then
 * "out" is incomplete).  Strings in the result point into "args".
 */
static char *
protection_args_problem(int nargs, char **args, ProtectionArgs *out)
{
	int			i;

	memset(out, 0, sizeof(ProtectionArgs));
	for (i = 0; i < nargs; i++)
	{
		char	   *arg = args[i];
		char	   *eq = strchr(arg, '=');
		size_t		keylen;
		int			role;

		if (eq == NULL || eq[1] == '\0')
			return psprintf("invalid valuecheck trigger argument \"%s\"", arg);
		keylen = eq - arg;

		if (keylen == 4 && strncmp(arg, "mode", 4) == 0)
		{
			if (strcmp(eq + 1, "warn") == 0)
				out->warn_mode = true;
			else if (strcmp(eq + 1, "enforce") != 0)
				return psprintf("invalid valuecheck trigger argument \"%s\"", arg);
			continue;
		}
		if (keylen == 15 && strncmp(arg, "unknown_product", 15) == 0)
		{
			if (strcmp(eq + 1, "reject") == 0)
				out->reject_unknown = true;
			else if (strcmp(eq + 1, "allow") != 0)
				return psprintf("invalid valuecheck trigger argument \"%s\"", arg);
			continue;
		}
		role = mapped_role_of(arg, keylen);
		if (role < 0 || out->column[role] != NULL)
			return psprintf("invalid valuecheck trigger argument \"%s\"", arg);
		out->column[role] = eq + 1;
	}
	if (out->column[ROLE_PRODUCT] == NULL || out->column[ROLE_PRICE] == NULL)
		return pstrdup("valuecheck trigger arguments name no product or no price column");
	return NULL;
}

/*
 * Parse trigger arguments, or fail.  Strings in the result point into
 * "args".
 */
void
protection_args_parse(int nargs, char **args, ProtectionArgs *out)
{
	char	   *problem = protection_args_problem(nargs, args, out);

	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg_internal("%s", problem),
				 errhint("Create valuecheck triggers with valuecheck.protect().")));
}

static bool
is_numeric_role(int role)
{
	return role == ROLE_PRICE || role == ROLE_LIST_PRICE || role == ROLE_QUANTITY;
}

bool
price_type_ok(Oid type)
{
	switch (type)
	{
		case NUMERICOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
			return true;
		default:
			return false;
	}
}

/*
 * The attribute a protection maps as "role", checked: it exists and its
 * type (a domain by its base type) can play that role.  The one place the
 * mapping is validated, for protect() (at_protect) and for the trigger (a
 * column renamed, dropped or retyped since).
 */
static Form_pg_attribute
mapped_attribute(Relation rel, int role, const char *colname, bool at_protect)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Form_pg_attribute att = NULL;
	Oid			basetype;
	const char *wanted = NULL;
	const char *hint = NULL;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), colname) == 0)
		{
			att = a;
			break;
		}
	}
	if (att == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						colname, RelationGetRelationName(rel)),
				 errdetail("It is mapped as the %s column.", mapped_role_names[role]),
				 at_protect ? 0 :
				 errhint("Call valuecheck.protect() again with the table's current column names, or valuecheck.unprotect().")));

	basetype = getBaseType(att->atttypid);
	if (is_numeric_role(role) && !price_type_ok(basetype))
	{
		wanted = role == ROLE_PRICE ? "a price" :
			role == ROLE_LIST_PRICE ? "a list price" : "a quantity";
		hint = "Use numeric, smallint, integer, bigint, real or double precision";
	}
	else if (role == ROLE_ORDERED_AT && basetype != TIMESTAMPTZOID &&
			 basetype != TIMESTAMPOID && basetype != DATEOID)
	{
		wanted = "an ordered_at";
		hint = "Use timestamp with time zone, timestamp or date";
	}
	if (wanted)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s\" has type %s, which cannot be %s column",
						colname, RelationGetRelationName(rel),
						format_type_be(att->atttypid), wanted),
				 errhint("%s%s.", hint,
						 at_protect ? "" : ", or call valuecheck.protect() again")));
	return att;
}

/*
 * valuecheck.check_mapping(rel regclass, args text[]): refuse, with the
 * trigger's own checks, trigger arguments that name a missing column or a
 * column of an unusable type.  protect() calls it before it creates the
 * trigger.
 */
Datum
valuecheck_check_mapping(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *nulls;
	int			nargs;
	char	  **args;
	ProtectionArgs parsed;
	Relation	rel;
	int			i;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nargs);
	args = palloc(sizeof(char *) * (nargs + 1));
	for (i = 0; i < nargs; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("valuecheck trigger arguments must not be NULL")));
		args[i] = TextDatumGetCString(elems[i]);
	}

	/* like protect() itself, only for a table the caller has some right on */
	if (pg_class_aclmask(relid, GetUserId(), ACL_ALL_RIGHTS_RELATION, ACLMASK_ANY) == 0)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	rel = relation_open(relid, AccessShareLock);
	/* an empty column name is a column that does not exist */
	for (i = 0; i < nargs; i++)
	{
		char	   *eq = strchr(args[i], '=');
		int			role = eq ? mapped_role_of(args[i], eq - args[i]) : -1;

		if (role >= 0 && eq[1] == '\0')
			(void) mapped_attribute(rel, role, "", true);
	}
	protection_args_parse(nargs, args, &parsed);
	for (i = 0; i < NUM_ROLES; i++)
		if (parsed.column[i])
			(void) mapped_attribute(rel, i, parsed.column[i], true);
	relation_close(rel, AccessShareLock);
	PG_RETURN_VOID();
}

/*
 * The table users know the relation as.  On a Citus worker the trigger
 * fires on a shard placement, "orders_102008"; messages and logs name the
 * distributed table instead, found through Citus's metadata, and the entry
 * is marked as a shard (approvals are single-node).
 */
static void
resolve_table_name(Relation rel, ProtectionConfig *entry)
{
	const char *relname = RelationGetRelationName(rel);
	const char *suffix = strrchr(relname, '_');

	namestrcpy(&entry->table_name, relname);
	namestrcpy(&entry->schema_name, get_namespace_name(RelationGetNamespace(rel)));

	if (suffix == NULL || suffix[1] == '\0' ||
		strspn(suffix + 1, "0123456789") != strlen(suffix + 1) ||
		strlen(suffix + 1) > 18 ||
		!vc_citus_present())
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Oid			argtypes[3] = {INT8OID, OIDOID, NAMEOID};
		Datum		args[3];
		NameData	prefix;

		/* a shard is named <table>_<shardid>, in the table's schema */
		namestrcpy(&prefix, pnstrdup(relname, suffix - relname));
		args[0] = Int64GetDatum(strtoi64(suffix + 1, NULL, 10));
		args[1] = ObjectIdGetDatum(RelationGetNamespace(rel));
		args[2] = NameGetDatum(&prefix);
		if (SPI_execute_with_args("SELECT c.relname, n.nspname"
								  "  FROM pg_catalog.pg_dist_shard s"
								  "  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.logicalrelid"
								  "  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
								  " WHERE s.shardid OPERATOR(pg_catalog.=) $1"
								  "   AND c.relnamespace OPERATOR(pg_catalog.=) $2"
								  "   AND c.relname OPERATOR(pg_catalog.=) $3",
								  3, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
		{
			namestrcpy(&entry->table_name,
					   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
			namestrcpy(&entry->schema_name,
					   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
			entry->citus_shard = true;
		}
	}
	SPI_finish();
}

/* Schema-qualified, quoted name of the table a row is stored in (the
 * distributed table, for a Citus shard). */
char *
protection_qualified_name(const ProtectionConfig *config)
{
	return quote_qualified_identifier(NameStr(config->schema_name),
									  NameStr(config->table_name));
}

/*
 * Resolve the mapping of trigger "tgoid" against "rel", or return the
 * cached resolution.
 */
ProtectionConfig *
protection_config_get(Relation rel, Oid tgoid, int nargs, char **args)
{
	ProtectionConfig *entry;
	bool		found;
	ProtectionArgs parsed;
	int			role;

	if (config_hash == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(ProtectionConfig);
		ctl.hcxt = CacheMemoryContext;
		config_hash = hash_create("valuecheck protections", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterRelcacheCallback(config_relcache_callback, (Datum) 0);
	}

	/* a statement fires the same trigger row after row */
	if (last_config && last_config->tgoid == tgoid && last_config->valid &&
		last_config->relid == RelationGetRelid(rel))
		return last_config;

	entry = hash_search(config_hash, &tgoid, HASH_FIND, &found);
	if (found && entry->valid && entry->relid == RelationGetRelid(rel))
	{
		last_config = entry;
		return entry;
	}
	last_config = NULL;

	/*
	 * Parse before touching the entry: the parsed strings point into "args",
	 * and an entry must only ever hold copies of its own (a bad argument
	 * would otherwise leave pointers into "args" for the next rebuild to
	 * pfree).
	 */
	protection_args_parse(nargs, args, &parsed);

	/* (re)build; the entry stays invalid until it is complete */
	entry = hash_search(config_hash, &tgoid, HASH_ENTER, &found);
	if (found)
	{
		for (role = 0; role < NUM_ROLES; role++)
			if (entry->args.column[role])
				pfree(entry->args.column[role]);
	}
	memset(entry, 0, sizeof(ProtectionConfig));
	entry->tgoid = tgoid;
	entry->relid = RelationGetRelid(rel);

	entry->args.warn_mode = parsed.warn_mode;
	entry->args.reject_unknown = parsed.reject_unknown;
	for (role = 0; role < NUM_ROLES; role++)
		if (parsed.column[role])
			entry->args.column[role] = MemoryContextStrdup(CacheMemoryContext,
														   parsed.column[role]);

	for (role = 0; role < NUM_ROLES; role++)
	{
		Form_pg_attribute att;
		Oid			basetype;

		if (entry->args.column[role] == NULL)
			continue;
		att = mapped_attribute(rel, role, entry->args.column[role], false);
		basetype = getBaseType(att->atttypid);
		entry->attnum[role] = att->attnum;
		entry->basetype[role] = basetype;
		entry->typlen[role] = att->attlen;
		entry->typbyval[role] = att->attbyval;
		if (!is_numeric_role(role))
		{
			Oid			outfunc;
			bool		isvarlena;

			getTypeOutputInfo(att->atttypid, &outfunc, &isvarlena);
			fmgr_info_cxt(outfunc, &entry->output[role], CacheMemoryContext);
		}
	}
	resolve_table_name(rel, entry);
	entry->valid = true;
	last_config = entry;
	return entry;
}

/*
 * valuecheck.trigger_mapping(tgargs bytea, tgnargs smallint): a trigger's
 * mapping as a record, for the valuecheck.protected view.  Arguments that
 * cannot be read give mode 'invalid: <why>' and no mapping, not an error.
 */
Datum
valuecheck_trigger_mapping(PG_FUNCTION_ARGS)
{
	bytea	   *tgargs = PG_GETARG_BYTEA_PP(0);
	int			nargs = PG_GETARG_INT16(1);
	const char *p = VARDATA_ANY(tgargs);
	const char *end = p + VARSIZE_ANY_EXHDR(tgargs);
	char	  **args;
	char	   *problem = NULL;
	ProtectionArgs parsed;
	TupleDesc	tupdesc;
	Datum		values[NUM_ROLES + 2];
	bool		nulls[NUM_ROLES + 2];
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (nargs < 0)
		PG_RETURN_NULL();
	args = palloc(sizeof(char *) * (nargs + 1));
	for (i = 0; i < nargs && problem == NULL; i++)
	{
		const char *nul = memchr(p, '\0', end - p);

		if (nul == NULL)
			problem = pstrdup("trigger arguments are malformed");
		else
		{
			args[i] = pnstrdup(p, nul - p);
			p = nul + 1;
		}
	}
	if (problem == NULL)
		problem = protection_args_problem(nargs, args, &parsed);

	/*
	 * One bad hand-made trigger must not break the view for every table:
	 * its row shows the problem in "mode", and no mapping.
	 */
	if (problem)
	{
		for (i = 0; i < NUM_ROLES + 2; i++)
			nulls[i] = true;
		values[NUM_ROLES] = CStringGetTextDatum(psprintf("invalid: %s", problem));
		nulls[NUM_ROLES] = false;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
														  values, nulls)));
	}

	for (i = 0; i < NUM_ROLES; i++)
	{
		nulls[i] = (parsed.column[i] == NULL);
		values[i] = nulls[i] ? (Datum) 0 :
			DirectFunctionCall1(namein, CStringGetDatum(parsed.column[i]));
	}
	values[NUM_ROLES] = CStringGetTextDatum(parsed.warn_mode ? "warn" : "enforce");
	values[NUM_ROLES + 1] = CStringGetTextDatum(parsed.reject_unknown ? "reject" : "allow");
	nulls[NUM_ROLES] = nulls[NUM_ROLES + 1] = false;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
