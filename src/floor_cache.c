/*
 * floor_cache.c
 *		A per-backend cache of valuecheck.floors, so that checking a line runs
 *		no query.
 *
 * The cache is read through SPI, a planned query, never by scanning the
 * heap of valuecheck.floors: on a Citus worker that table is an empty shell
 * and only the planner routes a query to the local shard placement.
 *
 * Invalidation: a statement trigger on valuecheck.floors sends a relcache
 * invalidation for the table.  PostgreSQL delivers it to this backend at
 * the next CommandCounterIncrement (a change made earlier in this
 * transaction is in force at once), to other backends when the transaction
 * commits (a rolled-back change never reaches them; here, abort processing
 * replays it and we simply reload).  Our callback only marks the cache
 * stale; it is rebuilt on next use.
 *
 * Snapshots: a cache loaded with a fresh snapshot (the enforcement trigger,
 * READ COMMITTED) holds every change committed before the invalidation that
 * made us reload, so it stays good until the next one.  A cache loaded with
 * an older snapshot may miss a change whose invalidation we already
 * consumed.  Under REPEATABLE READ and SERIALIZABLE every read uses the
 * transaction's snapshot, so such a cache is trusted until the end of the
 * transaction (a transaction keeps seeing the floors of its snapshot).  In
 * READ COMMITTED, a cache floor_for() loaded with its query's snapshot is
 * trusted only under a snapshot that sees the same transactions as that one;
 * the trigger, and any later statement, read again.
 *
 * SERIALIZABLE: serializable snapshot isolation sees only reads made in the
 * transaction, so a serializable transaction reads the floors itself once,
 * whatever the cache held before; a concurrent floor change then counts as
 * a read/write dependency, as it would for any query of the table.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/sinval.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "compat.h"
#include "valuecheck.h"

PG_FUNCTION_INFO_V1(valuecheck_floors_changed);
PG_FUNCTION_INFO_V1(valuecheck_floor_for);
PG_FUNCTION_INFO_V1(valuecheck_floor_detail);

/*
 * The floors of one product, in one chunk: the name, then the floors.  The
 * hash table holds only (hash, pointer) pairs, so a lookup touches the
 * compact slot array and then this one chunk: few cache misses per row.
 */
typedef struct ProductFloors
{
	int			len;
	int			nfloors;
	FloorEntry *floors;			/* just after the name, in this chunk */
	char		name[FLEXIBLE_ARRAY_MEMBER];
} ProductFloors;

typedef struct ProductSlot
{
	uint32		hash;
	ProductFloors *rec;			/* NULL: empty slot */
} ProductSlot;

static MemoryContext cache_cxt = NULL;
static MemoryContext loading_cxt = NULL;	/* left over by a failed load */
static ProductSlot *slots = NULL;
static uint32 slot_mask = 0;
static bool cache_valid = false;
static bool cache_xact_bound = false;	/* dropped at the end of the transaction */
static bool cache_snapshot_bound = false;	/* READ COMMITTED, read with an older
											 * snapshot: see cache_usable() */
static TransactionId cache_snap_xmin;
static TransactionId cache_snap_xmax;
static uint32 cache_snap_xcnt;
static int32 cache_snap_subxcnt;
static bool cache_snap_suboverflowed;
static CommandId cache_snap_curcid;
static uint64 inval_count = 0;
static Oid	floors_relid = InvalidOid;

#define FLOORS_QUERY \
	"SELECT f.floor_id, f.product, f.campaign, f.currency, f.min_price," \
	"       f.max_discount, f.valid" \
	"  FROM %s f"

/*
 * The relation to read floors from.  On a Citus node where valuecheck.floors
 * is a reference table, its rows live in a local shard placement,
 * valuecheck.floors_<shardid>, and the shell is empty; a query of the shell
 * is routed there by Citus's planner, but refused from inside a query that
 * already runs on a shard (floor_for() in a distributed query).  So read
 * the local placement directly where there is one.  Must run inside SPI.
 */
static char *
floors_source_relation(void)
{
	Oid			nsp;
	uint64		i;

	if (!OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return "valuecheck.floors";
	if (SPI_execute("SELECT s.shardid FROM pg_catalog.pg_dist_shard s"
					" WHERE s.logicalrelid OPERATOR(pg_catalog.=)"
					"       'valuecheck.floors'::pg_catalog.regclass",
					true, 0) != SPI_OK_SELECT)
		return "valuecheck.floors";
	nsp = get_namespace_oid("valuecheck", false);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		shardid = SPI_getbinval(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 1, &isnull);
		char	   *name;

		if (isnull)
			continue;
		name = psprintf("floors_" INT64_FORMAT, DatumGetInt64(shardid));
		if (OidIsValid(get_relname_relid(name, nsp)))
			return psprintf("valuecheck.%s", quote_identifier(name));
	}
	return "valuecheck.floors";
}

static Oid
get_floors_relid(void)
{
	if (!OidIsValid(floors_relid))
	{
		Oid			nsp = get_namespace_oid("valuecheck", true);

		if (OidIsValid(nsp))
			floors_relid = get_relname_relid("floors", nsp);
	}
	return floors_relid;
}

static void
floor_cache_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == floors_relid)
	{
		cache_valid = false;
		inval_count++;
		/* the table itself may have been dropped and created again */
		floors_relid = InvalidOid;
	}
}

static void
floor_cache_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			if (cache_xact_bound)
				cache_valid = false;
			break;
		default:
			break;
	}
}

void
floor_cache_register_callbacks(void)
{
	CacheRegisterRelcacheCallback(floor_cache_relcache_callback, (Datum) 0);
	RegisterXactCallback(floor_cache_xact_callback, NULL);
}

static inline ProductSlot *
slot_find(const char *product, int len, uint32 hash)
{
	uint32		i = hash & slot_mask;

	for (;;)
	{
		ProductSlot *slot = &slots[i];

		if (slot->rec == NULL)
			return slot;
		if (slot->hash == hash && slot->rec->len == len &&
			memcmp(slot->rec->name, product, len) == 0)
			return slot;
		i = (i + 1) & slot_mask;
	}
}

static char *
spi_text(HeapTuple tuple, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static Numeric
spi_numeric(HeapTuple tuple, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);

	if (isnull)
		return NULL;
	return DatumGetNumericCopy(d);
}

/* A product met while grouping the rows of a load. */
typedef struct GroupSlot
{
	uint32		hash;
	int			count;			/* 0: empty slot */
	uint64		fill;			/* next place in the row order */
	text	   *product;
	ProductFloors *rec;
} GroupSlot;

static text *
row_product(SPITupleTable *tuptable, uint64 row)
{
	bool		isnull;

	return DatumGetTextPP(SPI_getbinval(tuptable->vals[row], tuptable->tupdesc,
										2, &isnull));
}

/* One floor from its row: the validity range is taken apart here, once. */
static void
fill_floor(FloorEntry *e, HeapTuple tup, TupleDesc desc, TypeCacheEntry *rangetype)
{
	bool		isnull;
	RangeBound	lower,
				upper;
	bool		empty;

	e->floor_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	e->campaign = spi_text(tup, desc, 3);
	e->currency = spi_text(tup, desc, 4);
	e->campaign_len = e->campaign ? strlen(e->campaign) : 0;
	e->currency_len = e->currency ? strlen(e->currency) : 0;
	e->min_price = spi_numeric(tup, desc, 5);
	e->max_discount = spi_numeric(tup, desc, 6);
	e->keep_fraction = NULL;
	if (e->max_discount)
		e->keep_fraction =
			DatumGetNumeric(DirectFunctionCall2(numeric_sub,
												NumericGetDatum(vc_int64_to_numeric(1)),
												NumericGetDatum(e->max_discount)));
	e->valid = datumCopy(SPI_getbinval(tup, desc, 7, &isnull), false, -1);
	range_deserialize(rangetype, DatumGetRangeTypeP(e->valid), &lower, &upper, &empty);
	e->lower_inf = lower.infinite;
	e->lower_inc = lower.inclusive;
	e->lower = lower.infinite ? 0 : DatumGetTimestampTz(lower.val);
	e->upper_inf = upper.infinite;
	e->upper_inc = upper.inclusive;
	e->upper = upper.infinite ? 0 : DatumGetTimestampTz(upper.val);
	if (empty)
	{
		/* never in force (floors_valid_not_empty forbids it anyway) */
		e->lower_inf = e->lower_inc = false;
		e->lower = DT_NOEND;
	}
}

/*
 * Build the product table from the rows read (in the current memory
 * context): group the rows by product through a temporary hash table, then
 * give each product one chunk holding its name and its floors, and a slot
 * in a table sized by the number of products (load at most 2/3, so the
 * slot array stays small enough to stay in cache).
 */
static void
build_product_table(SPITupleTable *tuptable, uint64 nrows)
{
	TypeCacheEntry *rangetype = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	uint32		ngroups = 16;
	uint32		nslots = 16;
	uint32		gmask;
	GroupSlot  *groups;
	uint32	   *row_group;
	uint64	   *order;
	uint64		nproducts = 0;
	uint64		start;
	uint64		i;

	while (ngroups < nrows * 2)
		ngroups <<= 1;
	gmask = ngroups - 1;
	groups = palloc0(sizeof(GroupSlot) * ngroups);
	row_group = palloc(sizeof(uint32) * (nrows + 1));
	order = palloc(sizeof(uint64) * (nrows + 1));

	for (i = 0; i < nrows; i++)
	{
		text	   *product = row_product(tuptable, i);
		int			len = VARSIZE_ANY_EXHDR(product);
		uint32		hash = hash_bytes((const unsigned char *) VARDATA_ANY(product), len);
		uint32		g = hash & gmask;

		for (;;)
		{
			GroupSlot  *gs = &groups[g];

			if (gs->count == 0)
			{
				gs->hash = hash;
				gs->product = product;
				nproducts++;
				break;
			}
			if (gs->hash == hash && (int) VARSIZE_ANY_EXHDR(gs->product) == len &&
				memcmp(VARDATA_ANY(gs->product), VARDATA_ANY(product), len) == 0)
				break;
			g = (g + 1) & gmask;
		}
		groups[g].count++;
		row_group[i] = g;
	}

	while (nslots * 2 < nproducts * 3)
		nslots <<= 1;
	/* an error from here on leaves a partial table: never serve from it */
	cache_valid = false;
	slots = palloc0(sizeof(ProductSlot) * nslots);	/* slot_find() reads the globals */
	slot_mask = nslots - 1;

	/* rows in group order (a counting sort), so each product is built in one go */
	for (i = 0, start = 0; i < ngroups; i++)
	{
		groups[i].fill = start;
		start += groups[i].count;
	}
	for (i = 0; i < nrows; i++)
		order[groups[row_group[i]].fill++] = i;

	for (i = 0, start = 0; i < ngroups; i++)
	{
		GroupSlot  *gs = &groups[i];
		int			len;
		Size		head;
		ProductSlot *slot;
		int			k;

		if (gs->count == 0)
			continue;
		len = VARSIZE_ANY_EXHDR(gs->product);
		head = MAXALIGN(offsetof(ProductFloors, name) + len + 1);
		gs->rec = palloc(head + sizeof(FloorEntry) * gs->count);
		gs->rec->len = len;
		gs->rec->nfloors = gs->count;
		memcpy(gs->rec->name, VARDATA_ANY(gs->product), len);
		gs->rec->name[len] = '\0';
		gs->rec->floors = (FloorEntry *) ((char *) gs->rec + head);
		slot = slot_find(gs->rec->name, len, gs->hash);
		slot->hash = gs->hash;
		slot->rec = gs->rec;
		/* the floors' numbers and strings land right after the chunk */
		for (k = 0; k < gs->count; k++)
			fill_floor(&gs->rec->floors[k], tuptable->vals[order[start + k]],
					   tuptable->tupdesc, rangetype);
		start += gs->count;
	}

	pfree(groups);
	pfree(row_group);
	pfree(order);
}

/*
 * (Re)load every floor.  "fresh" asks for a new snapshot (READ COMMITTED),
 * which only a backend that may run commands can take: not a parallel
 * worker, hence floor_for() does not ask for it.
 */
static void
floor_cache_load(bool fresh)
{
	uint64		start_count = inval_count;
	MemoryContext newcxt;
	MemoryContext oldcxt;
	int			ret;

	if (!OidIsValid(get_floors_relid()))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table valuecheck.floors does not exist"),
				 errhint("Is the valuecheck extension installed in this database?")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(psprintf(FLOORS_QUERY, floors_source_relation()), !fresh, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed reading valuecheck.floors: %s",
			 SPI_result_code_string(ret));

	if (loading_cxt)
		MemoryContextDelete(loading_cxt);
	newcxt = AllocSetContextCreate(CacheMemoryContext, "valuecheck floor cache",
								   ALLOCSET_DEFAULT_SIZES);
	loading_cxt = newcxt;
	oldcxt = MemoryContextSwitchTo(newcxt);

	build_product_table(SPI_tuptable, SPI_processed);
	MemoryContextSwitchTo(oldcxt);
	SPI_finish();

	if (cache_cxt)
		MemoryContextDelete(cache_cxt);
	cache_cxt = newcxt;
	loading_cxt = NULL;

	/* an invalidation that arrived while we read means: read again next time */
	cache_valid = (inval_count == start_count);
	cache_xact_bound = !fresh || IsolationUsesXactSnapshot();
	cache_snapshot_bound = !fresh && !IsolationUsesXactSnapshot();
	if (cache_snapshot_bound)
	{
		Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;

		if (snap == NULL)
			cache_valid = false;
		else
		{
			cache_snap_xmin = snap->xmin;
			cache_snap_xmax = snap->xmax;
			cache_snap_xcnt = snap->xcnt;
			cache_snap_subxcnt = snap->subxcnt;
			cache_snap_suboverflowed = snap->suboverflowed;
			cache_snap_curcid = snap->curcid;
		}
	}
}

/*
 * May a valid cache serve this lookup?
 *
 * A cache read in READ COMMITTED with an older snapshot (floor_for() in a
 * query) may lack a change committed before the snapshot of the statement
 * asking now, whose invalidation was consumed before that read.  It serves
 * only lookups under a snapshot that sees exactly the same transactions:
 * the same xmax and the same number of transactions in progress (with equal
 * xmax, the ones in progress now are a subset of those then) and the same
 * command id.  The trigger, which wants the latest floors, reads again.
 */
static bool
cache_usable(bool fresh)
{
	Snapshot	snap;

	/* SSI sees only reads made in the transaction: read floors in it */
	if (IsolationIsSerializable() && !cache_xact_bound)
		return false;
	if (!cache_snapshot_bound)
		return true;
	if (fresh || !ActiveSnapshotSet())
		return false;
	snap = GetActiveSnapshot();
	return snap->xmin == cache_snap_xmin &&
		snap->xmax == cache_snap_xmax &&
		snap->xcnt == cache_snap_xcnt &&
		snap->subxcnt == cache_snap_subxcnt &&
		snap->suboverflowed == cache_snap_suboverflowed &&
		snap->curcid == cache_snap_curcid;
}

static inline bool
floor_in_force(const FloorEntry *e, TimestampTz at)
{
	if (!e->lower_inf && (e->lower_inc ? at < e->lower : at <= e->lower))
		return false;
	if (!e->upper_inf && (e->upper_inc ? at > e->upper : at >= e->upper))
		return false;
	return true;
}

/*
 * The floor that decides for a line: among those of the product in force at
 * "at" whose campaign and currency are the line's or "any", the most
 * specific (campaign first, then currency).  NULL when none applies.
 */
const FloorEntry *
floor_resolve(const char *product, int product_len,
			  const char *campaign, int campaign_len,
			  const char *currency, int currency_len,
			  TimestampTz at, bool fresh)
{
	ProductSlot *slot;
	const FloorEntry *best = NULL;
	int			best_score = -1;
	int			i;

	/* cheap unless another backend sent something */
	AcceptInvalidationMessages();
	if (!cache_valid || slots == NULL || !cache_usable(fresh))
		floor_cache_load(fresh);

	slot = slot_find(product, product_len,
					 hash_bytes((const unsigned char *) product, product_len));
	if (slot->rec == NULL)
		return NULL;

	for (i = 0; i < slot->rec->nfloors; i++)
	{
		const FloorEntry *e = &slot->rec->floors[i];
		int			score = 0;

		if (e->campaign)
		{
			if (campaign == NULL || e->campaign_len != campaign_len ||
				memcmp(e->campaign, campaign, campaign_len) != 0)
				continue;
			score += 2;
		}
		if (e->currency)
		{
			if (currency == NULL || e->currency_len != currency_len ||
				memcmp(e->currency, currency, currency_len) != 0)
				continue;
			score += 1;
		}
		if (score <= best_score || !floor_in_force(e, at))
			continue;
		best = e;
		best_score = score;
	}
	return best;
}

/* A floor's validity as text, for messages. */
char *
floor_valid_text(const FloorEntry *floor)
{
	Oid			output;
	bool		isvarlena;

	/* range_out needs a real FmgrInfo (it caches the type in fn_extra) */
	getTypeOutputInfo(TSTZRANGEOID, &output, &isvarlena);
	return OidOutputFunctionCall(output, floor->valid);
}

/*
 * The floor price a floor sets for a line with the given list price (NULL
 * if none): min_price, list_price * (1 - max_discount), or the higher of
 * both.  The result may point into the cache: copy it to keep it.
 */
FloorPriceStatus
floor_price(const FloorEntry *floor, Numeric list_price, Numeric *result)
{
	Numeric		by_discount;

	if (floor->max_discount == NULL)
	{
		*result = floor->min_price;
		return FLOOR_PRICED;
	}
	if (list_price == NULL)
	{
		*result = floor->min_price;
		return floor->min_price ? FLOOR_PRICED : FLOOR_NEEDS_LIST_PRICE;
	}
	if (numeric_is_nan(list_price))
		return FLOOR_BAD_LIST_PRICE;

	by_discount = DatumGetNumeric(DirectFunctionCall2(numeric_mul,
													  NumericGetDatum(list_price),
													  NumericGetDatum(floor->keep_fraction)));
	if (floor->min_price && numeric_less(by_discount, floor->min_price))
		*result = floor->min_price;
	else
		*result = by_discount;
	return FLOOR_PRICED;
}

/*
 * Statement trigger on valuecheck.floors: make every backend drop its
 * cache, this one at the next command, the others when we commit.  On a
 * Citus worker the trigger fires on the shard; the shell table's OID is the
 * one the caches listen for.
 */
Datum
valuecheck_floors_changed(PG_FUNCTION_ARGS)
{
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"valuecheck.floors_changed")));

	relid = get_floors_relid();
	if (!OidIsValid(relid))
		relid = RelationGetRelid(((TriggerData *) fcinfo->context)->tg_relation);
	CacheInvalidateRelcacheByRelid(relid);

	return PointerGetDatum(NULL);
}

/*
 * The floor deciding for the arguments (product, at, campaign, currency,
 * list_price) of floor_for() and floor_detail(), or NULL where none does
 * (or product or time is NULL).  Text arguments are used without copies.
 */
static const FloorEntry *
floor_of_args(FunctionCallInfo fcinfo, Numeric *list_price)
{
	text	   *product;
	text	   *campaign = NULL;
	text	   *currency = NULL;

	*list_price = PG_ARGISNULL(4) ? NULL : PG_GETARG_NUMERIC(4);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return NULL;
	product = PG_GETARG_TEXT_PP(0);
	if (!PG_ARGISNULL(2))
		campaign = PG_GETARG_TEXT_PP(2);
	if (!PG_ARGISNULL(3))
		currency = PG_GETARG_TEXT_PP(3);

	return floor_resolve(VARDATA_ANY(product), VARSIZE_ANY_EXHDR(product),
						 campaign ? VARDATA_ANY(campaign) : NULL,
						 campaign ? VARSIZE_ANY_EXHDR(campaign) : 0,
						 currency ? VARDATA_ANY(currency) : NULL,
						 currency ? VARSIZE_ANY_EXHDR(currency) : 0,
						 PG_GETARG_TIMESTAMPTZ(1), false);
}

/*
 * valuecheck.floor_for(product, at, campaign, currency, list_price)
 */
Datum
valuecheck_floor_for(PG_FUNCTION_ARGS)
{
	Numeric		list_price;
	const FloorEntry *floor = floor_of_args(fcinfo, &list_price);
	Numeric		result;

	if (floor == NULL ||
		floor_price(floor, list_price, &result) != FLOOR_PRICED)
		PG_RETURN_NULL();

	PG_RETURN_NUMERIC(DatumGetNumericCopy(NumericGetDatum(result)));
}

/*
 * valuecheck.floor_detail(product, at, campaign, currency, list_price,
 *						   OUT floor_id bigint, OUT floor numeric)
 *		The deciding floor's id and price (NULL price where it cannot give
 *		one), for the audit; NULL where no floor applies.
 */
Datum
valuecheck_floor_detail(PG_FUNCTION_ARGS)
{
	Numeric		list_price;
	const FloorEntry *floor = floor_of_args(fcinfo, &list_price);
	Numeric		result;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (floor == NULL)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int64GetDatum(floor->floor_id);
	if (floor_price(floor, list_price, &result) == FLOOR_PRICED)
		values[1] = datumCopy(NumericGetDatum(result), false, -1);
	else
		nulls[1] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
