/*
 * floor_cache.c
 *		Floor lookup: the floors of one product, read through the product
 *		index of valuecheck.floors when a line needs them, and kept in a
 *		bounded memo (valuecheck.floor_cache_size) of recently used products.
 *
 * Nothing here ever reads every floor: a lookup that misses the memo reads
 * the product's floors only, with an index scan of floors_product_idx (on a
 * Citus node, of the local shard placement of the reference table and its
 * index), under exactly the snapshot a query of the table would use at that
 * point: the trigger (fresh) takes the statement-level snapshot a query in
 * the trigger would (GetTransactionSnapshot(): a new one in READ COMMITTED,
 * the transaction's in REPEATABLE READ and SERIALIZABLE); floor_for() and
 * floor_detail() use their query's snapshot.  An index scan under an MVCC
 * snapshot takes the predicate locks of serializable snapshot isolation
 * (the btree leaf page, the heap tuples it returns), as the same scan in a
 * query does.  Should no usable btree index on product exist, the same
 * read runs as a planned SPI query (slower, same snapshot).
 *
 * The memo: an open-addressing hash table of products (simplehash), in one
 * memory context under CacheMemoryContext, evicting the least recently used
 * products by a clock sweep.  Each product is one chunk: its name, its
 * floors, their strings, numbers and ranges.  The chunks and the hash table
 * together stay within floor_cache_size (the product just read is always
 * kept until the next lookup).  A product without floors is kept too (an
 * unknown product costs one probe, not one per line).  Entries are never
 * freed while a caller may hold one: only at the start of a lookup (callers
 * use an entry until their next lookup).
 *
 * The bulk read: a statement that meets many products of a floors table
 * small enough for half the memo reads the whole table in one scan of the
 * product index instead of one probe per product (memo_bulk_read()).
 *
 * When an entry may serve a lookup (the argument is in src/README):
 *	- Invalidation: the statement trigger floors_changed sends a relcache
 *	  invalidation for valuecheck.floors; it reaches this backend at its next
 *	  command (its own change) or when the changing transaction has
 *	  committed (another's; a rolled-back change is replayed locally on
 *	  abort and never sent).  It empties the memo (at the next lookup).
 *	- A trusted entry was read under a snapshot that sees every change whose
 *	  invalidation had been received when the entry was stored; it serves
 *	  every lookup until the next invalidation.  Reads by the trigger in
 *	  READ COMMITTED (a new snapshot, taken after the invalidations were
 *	  received) are trusted, unless an invalidation arrived during the read.
 *	- In REPEATABLE READ and SERIALIZABLE the transaction's snapshot is
 *	  older than invalidations received after it was taken: an entry read
 *	  once one has arrived in the transaction may miss that change, so it
 *	  serves that transaction only (xact-bound).  Before any has arrived, it
 *	  is trusted: a change it misses committed after the snapshot, and its
 *	  invalidation, still to come, will empty the memo.
 *	- floor_for() in READ COMMITTED reads under its query's snapshot, which
 *	  may predate an invalidation already received: such an entry serves
 *	  only lookups under a snapshot that sees the same transactions, in the
 *	  same transaction (snapshot-bound).
 *	- SERIALIZABLE: serializable snapshot isolation knows only the reads a
 *	  transaction made, so an entry serves a serializable transaction only
 *	  if it was read in that transaction (each product is read once per
 *	  serializable transaction, taking its predicate locks).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
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

/* GUC valuecheck.floor_cache_size, in kB */
int			valuecheck_floor_cache_size = 8192;

/* How far a memo entry may be trusted (see the file header). */
typedef enum EntryScope
{
	SCOPE_TRUSTED,				/* until the next invalidation */
	SCOPE_XACT,					/* only in the transaction that read it */
	SCOPE_SNAPSHOT				/* only under an equal snapshot, same transaction */
} EntryScope;

/* What makes two MVCC snapshots see the same transactions (cache_snapkey). */
typedef struct SnapKey
{
	TransactionId xmin;
	TransactionId xmax;
	uint32		xcnt;
	int32		subxcnt;
	bool		suboverflowed;
	CommandId	curcid;
} SnapKey;

/*
 * The floors of one product, in one chunk: this header, the name, the
 * floors, the snapshot key, then the floors' strings, numbers and ranges.
 * What a hit reads (the header's first fields, the name, the first floor)
 * lies together.
 */
typedef struct MemoEntry
{
	uint64		xact_serial;	/* transaction that read it */
	FloorEntry *floors;			/* just after the name */
	uint32		space;			/* what the chunk costs */
	uint32		hash;
	uint8		scope;			/* EntryScope */
	bool		referenced;		/* used since the clock hand last passed */
	int			nfloors;
	int			len;
	char		name[FLEXIBLE_ARRAY_MEMBER];	/* NUL-terminated */
} MemoEntry;

/* SCOPE_SNAPSHOT: the snapshot it was read under, after the floors. */
#define MEMO_SNAPKEY(e) ((SnapKey *) ((e)->floors + (e)->nfloors))

#define MEMO_ENTRY_OF(ptr) ((MemoEntry *) ((char *) (ptr) - offsetof(MemoEntry, name)))

typedef struct MemoKey
{
	const char *data;
	int			len;
} MemoKey;

typedef struct MemoSlot
{
	MemoKey		key;			/* data points into the entry's name */
	uint32		hash;
	char		status;
} MemoSlot;

#define SH_PREFIX		memotab
#define SH_ELEMENT_TYPE	MemoSlot
#define SH_KEY_TYPE		MemoKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	hash_bytes((const unsigned char *) (k).data, (k).len)
#define SH_EQUAL(tb, a, b)	((a).len == (b).len && memcmp((a).data, (b).data, (a).len) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static MemoryContext memo_cxt = NULL;
static MemoryContext probe_cxt = NULL;
static memotab_hash *memo = NULL;
static uint32 clock_hand = 0;	/* next hash table slot eviction looks at */
static Size memo_chunks = 0;	/* what the entries' chunks take */
static bool memo_reset_pending = false;
static MemoEntry *orphan = NULL;	/* a read not kept: freed at the next lookup */

static uint64 memo_misses = 0;	/* lookups that read, since the memo was emptied */
static bool memo_bulk_tried = false;	/* the bulk read was considered */

/*
 * The bulk read: once a memo has missed for a quarter of the floors table
 * (at least BULK_MIN_MISSES, at most BULK_MAX_MISSES times), and the whole
 * table fits in half of floor_cache_size (at this many bytes a floor, a
 * generous estimate), read every floor in one index scan instead of one
 * probe per product (see src/README for the measurements).
 */
#define BULK_MIN_MISSES		64
#define BULK_MAX_MISSES		1000
#define BULK_BYTES_PER_FLOOR	400

static uint64 inval_count = 0;	/* invalidations received */
static bool xact_inval_seen = false;	/* one arrived after the transaction's
										 * snapshot was taken */
static uint64 xact_serial = 1;	/* this backend's transactions, counted */

/* Where floors are read from: resolved once, again after an invalidation. */
static Oid	floors_relid = InvalidOid;
static bool source_valid = false;
static uint64 source_generation = 0;	/* bumped when source_valid is cleared */
static Oid	source_relid = InvalidOid;	/* valuecheck.floors, or its placement */
static char *source_name = NULL;	/* its qualified name (SPI fallback) */
static Oid	source_index = InvalidOid;	/* btree on product; Invalid: use SPI */
static Oid	source_index_collation = InvalidOid;
static RegProcedure source_eqproc = InvalidOid;
static AttrNumber source_att[7];	/* floor_id, product, campaign, currency,
									 * min_price, max_discount, valid */
static SPIPlanPtr source_plan = NULL;

static const char *const floor_columns[7] = {
	"floor_id", "product", "campaign", "currency", "min_price", "max_discount", "valid"
};
static const Oid floor_column_types[7] = {
	INT8OID, TEXTOID, TEXTOID, TEXTOID, NUMERICOID, NUMERICOID, TSTZRANGEOID
};

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

/*
 * The relation to read floors from.  On a Citus node where valuecheck.floors
 * is a reference table, its rows live in a local shard placement,
 * valuecheck.floors_<shardid>, and the shell is empty; a query of the shell
 * is routed there by Citus's planner, but refused from inside a query that
 * already runs on a shard (floor_for() in a distributed query).  So read
 * the local placement directly where there is one.  Must run inside SPI.
 */
static char *
floors_source_relation(Oid *relid)
{
	Oid			nsp;
	uint64		i;

	*relid = get_floors_relid();
	if (!vc_citus_present())
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
		{
			*relid = get_relname_relid(name, nsp);
			return psprintf("valuecheck.%s", quote_identifier(name));
		}
	}
	return "valuecheck.floors";
}

static void
floor_cache_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == floors_relid)
	{
		memo_reset_pending = true;
		inval_count++;
		/* the transaction's snapshot (if taken) may not see that change */
		if (FirstSnapshotSet)
			xact_inval_seen = true;
		/* the table itself may have been dropped and created again */
		floors_relid = InvalidOid;
		source_valid = false;
		source_generation++;
	}
	else if (relid == source_relid)
	{
		source_valid = false;	/* an index made or dropped on the placement */
		source_generation++;
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
			/* xact-bound and snapshot-bound entries expire with it */
			xact_serial++;
			xact_inval_seen = false;
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

/* ---------------------------------------------------------- the source --- */

/*
 * A btree index of a floors relation whose first key is product (text),
 * usable for equality lookups; InvalidOid if there is none.  Also returns
 * the index's collation and its equality function, for the scan key.
 */
Oid
floors_product_index(Relation heap, AttrNumber product_att,
					 Oid *collation, RegProcedure *eqproc)
{
	List	   *indexes = RelationGetIndexList(heap);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ind = idx->rd_index;

		if (idx->rd_rel->relam == BTREE_AM_OID &&
			ind->indisvalid && ind->indisready && ind->indislive &&
			ind->indnkeyatts >= 1 && ind->indkey.values[0] == product_att &&
			heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL) &&
			idx->rd_opcintype[0] == TEXTOID)
		{
			Oid			eqop = get_opfamily_member(idx->rd_opfamily[0], TEXTOID,
												   TEXTOID, BTEqualStrategyNumber);

			if (OidIsValid(eqop))
			{
				found = RelationGetRelid(idx);
				*collation = idx->rd_indcollation[0];
				*eqproc = get_opcode(eqop);
			}
		}
		index_close(idx, AccessShareLock);
		if (OidIsValid(found))
			break;
	}
	list_free(indexes);
	return found;
}

/* Resolve where floors are read from (after start-up or an invalidation). */
static void
resolve_source(void)
{
	MemoryContext oldcxt;
	char	   *name;
	Relation	heap;
	TupleDesc	desc;
	uint64		generation;
	int			i;

	if (!OidIsValid(get_floors_relid()))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table valuecheck.floors does not exist"),
				 errhint("Is the valuecheck extension installed in this database?")));

	generation = source_generation;
	source_valid = false;		/* until complete (an error leaves it so) */
	if (source_plan)
	{
		SPI_freeplan(source_plan);
		source_plan = NULL;
	}
	if (source_name)
	{
		pfree(source_name);
		source_name = NULL;
	}

	name = "valuecheck.floors";
	source_relid = floors_relid;
	if (vc_citus_present())
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		name = floors_source_relation(&source_relid);
		oldcxt = MemoryContextSwitchTo(CacheMemoryContext);
		source_name = pstrdup(name);
		MemoryContextSwitchTo(oldcxt);
		SPI_finish();
	}
	else
		source_name = MemoryContextStrdup(CacheMemoryContext, name);

	heap = table_open(source_relid, AccessShareLock);
	desc = RelationGetDescr(heap);
	for (i = 0; i < 7; i++)
	{
		AttrNumber	att = InvalidAttrNumber;
		int			k;

		for (k = 0; k < desc->natts; k++)
		{
			Form_pg_attribute a = TupleDescAttr(desc, k);

			if (!a->attisdropped && strcmp(NameStr(a->attname), floor_columns[i]) == 0)
			{
				if (a->atttypid != floor_column_types[i])
					elog(ERROR, "column \"%s\" of %s has an unexpected type",
						 floor_columns[i], source_name);
				att = a->attnum;
				break;
			}
		}
		if (att == InvalidAttrNumber)
			elog(ERROR, "%s has no column \"%s\"", source_name, floor_columns[i]);
		source_att[i] = att;
	}
	source_index = floors_product_index(heap, source_att[1],
										&source_index_collation, &source_eqproc);
	table_close(heap, NoLock);
	/* an invalidation that arrived meanwhile: resolve again */
	source_valid = (generation == source_generation);
}

/* ----------------------------------------------------------- the memo --- */

static inline void
memo_ensure(void)
{
	if (memo_cxt == NULL)
	{
		/* small blocks: memory follows the entries kept, not the peak */
		memo_cxt = AllocSetContextCreate(CacheMemoryContext, "valuecheck floor cache",
										 0, 8 * 1024, 64 * 1024);
		probe_cxt = AllocSetContextCreate(CacheMemoryContext, "valuecheck floor probe",
										  ALLOCSET_SMALL_SIZES);
	}
	if (memo == NULL)
		memo = memotab_create(memo_cxt, 16, NULL);
}

/* What the memo takes: its entries and its hash table. */
static inline Size
memo_used(void)
{
	return memo_chunks + (memo ? sizeof(MemoSlot) * memo->size : 0);
}

static void
memo_reset(void)
{
	memo_reset_pending = false;
	if (memo_cxt == NULL)
		return;
	MemoryContextReset(memo_cxt);
	memo = NULL;
	clock_hand = 0;
	memo_chunks = 0;
	memo_misses = 0;
	memo_bulk_tried = false;
}

static Size
memo_budget(void)
{
	return (Size) valuecheck_floor_cache_size * 1024;
}

static void
memo_remove(MemoEntry *e)
{
	MemoKey		key = {e->name, e->len};
	MemoSlot   *slot = memotab_lookup_hash(memo, key, e->hash);

	Assert(slot != NULL);
	memotab_delete_item(memo, slot);
	memo_chunks -= e->space;
	pfree(e);
}

/*
 * Evict until within budget, never "keep" (the entry just read): the least
 * recently used products go first, found as PostgreSQL's buffer manager
 * finds its victims, by a clock hand sweeping the hash table that evicts
 * the first entry not used since its last pass.  A hit only sets a flag in
 * the entry it reads anyway: no list to reorder on the hot path.
 */
static void
memo_trim(MemoEntry *keep)
{
	uint64		steps = 0;

	while (memo_used() > memo_budget() && memo->members > (keep ? 1 : 0))
	{
		MemoSlot   *slot;
		MemoEntry  *e;

		if (clock_hand >= memo->size)
			clock_hand = 0;
		slot = &memo->data[clock_hand];
		if (slot->status != memotab_SH_IN_USE)
		{
			clock_hand++;
			continue;
		}
		e = MEMO_ENTRY_OF(slot->key.data);
		if (e == keep || (e->referenced && steps++ < 2 * (uint64) memo->size))
		{
			if (e != keep)
				e->referenced = false;
			clock_hand++;
			continue;
		}
		/* the next entry may shift into this slot: look at it again */
		memotab_delete_item(memo, slot);
		memo_chunks -= e->space;
		pfree(e);
	}
}

/* Make the memo ready for a lookup: the safe point for freeing anything. */
static inline void
memo_prepare(void)
{
	if (unlikely(orphan != NULL))
	{
		pfree(orphan);
		orphan = NULL;
	}
	if (unlikely(memo_reset_pending))
		memo_reset();
	if (unlikely(memo == NULL))
		memo_ensure();
	if (unlikely(memo_used() > memo_budget()))
		memo_trim(NULL);		/* the setting was lowered */
}

static void
snapkey_of(Snapshot snap, SnapKey *key)
{
	memset(key, 0, sizeof(SnapKey));
	key->xmin = snap->xmin;
	key->xmax = snap->xmax;
	key->xcnt = snap->xcnt;
	key->subxcnt = snap->subxcnt;
	key->suboverflowed = snap->suboverflowed;
	key->curcid = snap->curcid;
}

/*
 * Do two snapshots see the same transactions?  With equal xmax, the
 * transactions in progress in the later one are a subset of those in
 * progress in the earlier one (an xid below xmax was assigned before
 * either was taken); equal counts make them the same set.
 */
static bool
snapkey_equal(const SnapKey *a, const SnapKey *b)
{
	return a->xmin == b->xmin && a->xmax == b->xmax && a->xcnt == b->xcnt &&
		a->subxcnt == b->subxcnt && a->suboverflowed == b->suboverflowed &&
		a->curcid == b->curcid;
}

/* The snapshot floor_for() reads under: its query's. */
static Snapshot
query_snapshot(void)
{
	if (ActiveSnapshotSet())
		return GetActiveSnapshot();
	return GetTransactionSnapshot();
}

static bool
entry_usable(const MemoEntry *e, bool fresh)
{
	/* SSI knows only the reads made in the transaction */
	if (IsolationIsSerializable() && e->xact_serial != xact_serial)
		return false;
	switch (e->scope)
	{
		case SCOPE_TRUSTED:
			return true;
		case SCOPE_XACT:
			return e->xact_serial == xact_serial;
		case SCOPE_SNAPSHOT:
			{
				SnapKey		now;

				if (fresh || e->xact_serial != xact_serial)
					return false;
				snapkey_of(query_snapshot(), &now);
				return snapkey_equal(&now, MEMO_SNAPKEY(e));
			}
	}
	return false;
}

/* ---------------------------------------------------------- the probe --- */

/* One floor row, as read (in the probe context). */
typedef struct FloorRow
{
	int64		floor_id;
	text	   *campaign;
	text	   *currency;
	Numeric		min_price;
	Numeric		max_discount;
	Numeric		keep_fraction;
	RangeType  *valid;
} FloorRow;

typedef struct ProbeResult
{
	int			nrows;
	int			maxrows;
	FloorRow   *rows;
} ProbeResult;

/* values[] in the order of floor_columns */
static void
collect_row(ProbeResult *res, Datum *values, bool *nulls)
{
	FloorRow   *r;

	if (res->nrows == res->maxrows)
	{
		res->maxrows *= 2;
		res->rows = repalloc(res->rows, sizeof(FloorRow) * res->maxrows);
	}
	r = &res->rows[res->nrows++];
	r->floor_id = DatumGetInt64(values[0]);
	r->campaign = nulls[2] ? NULL : DatumGetTextPP(values[2]);
	r->currency = nulls[3] ? NULL : DatumGetTextPP(values[3]);
	r->min_price = nulls[4] ? NULL : DatumGetNumeric(values[4]);
	r->max_discount = nulls[5] ? NULL : DatumGetNumeric(values[5]);
	r->keep_fraction = NULL;
	if (r->max_discount)
		r->keep_fraction =
			DatumGetNumeric(DirectFunctionCall2(numeric_sub,
												NumericGetDatum(vc_int64_to_numeric(1)),
												NumericGetDatum(r->max_discount)));
	r->valid = DatumGetRangeTypeP(values[6]);
}

/* Read a product's floors through the product index. */
static void
probe_index(text *product, Snapshot snapshot, ProbeResult *res)
{
	Relation	heap;
	Relation	idx;
	TupleTableSlot *slot;
	IndexScanDesc scan;
	ScanKeyData key;
	Datum		values[7];
	bool		nulls[7];

	heap = table_open(source_relid, AccessShareLock);
	idx = index_open(source_index, AccessShareLock);
	slot = table_slot_create(heap, NULL);
	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   source_index_collation, source_eqproc,
						   PointerGetDatum(product));
	scan = vc_index_beginscan(heap, idx, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		int			i;

		slot_getallattrs(slot);
		for (i = 0; i < 7; i++)
		{
			values[i] = slot->tts_values[source_att[i] - 1];
			nulls[i] = slot->tts_isnull[source_att[i] - 1];
		}
		/* copies: the slot's values point into a buffer */
		if (!nulls[2])
			values[2] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) DatumGetPointer(values[2])));
		if (!nulls[3])
			values[3] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) DatumGetPointer(values[3])));
		if (!nulls[4])
			values[4] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) DatumGetPointer(values[4])));
		if (!nulls[5])
			values[5] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) DatumGetPointer(values[5])));
		values[6] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) DatumGetPointer(values[6])));
		collect_row(res, values, nulls);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, NoLock);
	table_close(heap, NoLock);
}

/* The same read as a planned query (no usable btree index on product). */
static void
probe_spi(text *product, Snapshot snapshot, ProbeResult *res)
{
	Datum		arg = PointerGetDatum(product);
	MemoryContext oldcxt;
	uint64		i;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (source_plan == NULL)
	{
		Oid			argtype = TEXTOID;
		SPIPlanPtr	plan;

		plan = SPI_prepare(psprintf("SELECT f.floor_id, f.product, f.campaign, f.currency,"
									"       f.min_price, f.max_discount, f.valid"
									"  FROM %s f WHERE f.product OPERATOR(pg_catalog.=) $1",
									source_name), 1, &argtype);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		source_plan = plan;
	}
	ret = SPI_execute_snapshot(source_plan, &arg, NULL, snapshot, InvalidSnapshot,
							   true, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed reading valuecheck.floors: %s",
			 SPI_result_code_string(ret));
	/* the copies must outlive SPI_finish() */
	oldcxt = MemoryContextSwitchTo(probe_cxt);
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		values[7];
		bool		nulls[7];
		int			k;

		for (k = 0; k < 7; k++)
		{
			values[k] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
									  k + 1, &nulls[k]);
			if (!nulls[k] && k >= 2)
				values[k] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) DatumGetPointer(values[k])));
		}
		collect_row(res, values, nulls);
	}
	MemoryContextSwitchTo(oldcxt);
	SPI_finish();
}

static inline Size
piece_size(const void *varlena)
{
	return varlena ? MAXALIGN(VARSIZE_ANY(varlena)) : 0;
}

static inline Size
string_size(const text *t)
{
	return t ? MAXALIGN(VARSIZE_ANY_EXHDR(t) + 1) : 0;
}

/* Copy a varlena (4-byte header, it was detoasted) into place. */
static void *
place_varlena(char **p, const void *v)
{
	void	   *dst;

	if (v == NULL)
		return NULL;
	dst = *p;
	memcpy(dst, v, VARSIZE_ANY(v));
	*p += MAXALIGN(VARSIZE_ANY(v));
	return dst;
}

static char *
place_string(char **p, const text *t, int *len)
{
	char	   *dst;

	if (t == NULL)
	{
		*len = 0;
		return NULL;
	}
	dst = *p;
	*len = VARSIZE_ANY_EXHDR(t);
	memcpy(dst, VARDATA_ANY(t), *len);
	dst[*len] = '\0';
	*p += MAXALIGN(*len + 1);
	return dst;
}

/* One chunk in the memo context holding the product and its floors. */
static MemoEntry *
build_entry(const char *product, int len, uint32 hash, ProbeResult *res)
{
	TypeCacheEntry *rangetype = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	Size		head = MAXALIGN(offsetof(MemoEntry, name) + len + 1);
	Size		total = head + MAXALIGN(sizeof(FloorEntry) * res->nrows) + MAXALIGN(sizeof(SnapKey));
	MemoEntry  *e;
	char	   *p;
	int			i;

	for (i = 0; i < res->nrows; i++)
	{
		FloorRow   *r = &res->rows[i];

		total += string_size(r->campaign) + string_size(r->currency) +
			piece_size(r->min_price) + piece_size(r->max_discount) +
			piece_size(r->keep_fraction) + piece_size(r->valid);
	}
	e = MemoryContextAlloc(memo_cxt, total);
	e->space = GetMemoryChunkSpace(e);
	e->hash = hash;
	e->len = len;
	memcpy(e->name, product, len);
	e->name[len] = '\0';
	e->nfloors = res->nrows;
	e->floors = (FloorEntry *) ((char *) e + head);
	p = (char *) e->floors + MAXALIGN(sizeof(FloorEntry) * res->nrows) + MAXALIGN(sizeof(SnapKey));
	for (i = 0; i < res->nrows; i++)
	{
		FloorRow   *r = &res->rows[i];
		FloorEntry *f = &e->floors[i];
		RangeBound	lower,
					upper;
		bool		empty;

		f->floor_id = r->floor_id;
		f->campaign = place_string(&p, r->campaign, &f->campaign_len);
		f->currency = place_string(&p, r->currency, &f->currency_len);
		f->min_price = place_varlena(&p, r->min_price);
		f->max_discount = place_varlena(&p, r->max_discount);
		f->keep_fraction = place_varlena(&p, r->keep_fraction);
		f->valid = PointerGetDatum(place_varlena(&p, r->valid));
		range_deserialize(rangetype, r->valid, &lower, &upper, &empty);
		f->lower_inf = lower.infinite;
		f->lower_inc = lower.inclusive;
		f->lower = lower.infinite ? 0 : DatumGetTimestampTz(lower.val);
		f->upper_inf = upper.infinite;
		f->upper_inc = upper.inclusive;
		f->upper = upper.infinite ? 0 : DatumGetTimestampTz(upper.val);
		if (empty)
		{
			/* never in force (floors_valid_not_empty forbids it anyway) */
			f->lower_inf = f->lower_inc = false;
			f->lower = DT_NOEND;
		}
	}
	Assert(p <= (char *) e + total);
	return e;
}

/* Resolve the source if need be and lock it (it may be resolved anew meanwhile). */
static void
lock_source(void)
{
	for (;;)
	{
		if (!source_valid)
			resolve_source();
		LockRelationOid(source_relid, AccessShareLock);
		if (source_valid)
			break;
	}
}

/* The snapshot a query would read floors with here, and what the read may serve. */
static Snapshot
read_snapshot(bool fresh, EntryScope *scope)
{
	if (IsolationUsesXactSnapshot())
	{
		*scope = xact_inval_seen ? SCOPE_XACT : SCOPE_TRUSTED;
		return fresh ? GetTransactionSnapshot() : query_snapshot();
	}
	if (fresh)
	{
		*scope = SCOPE_TRUSTED;
		return GetTransactionSnapshot();
	}
	*scope = SCOPE_SNAPSHOT;
	return query_snapshot();
}

/*
 * Read a product's floors under the snapshot a query would use here, and
 * keep them in the memo where that is sound (see the file header).
 */
static MemoEntry *
memo_read(const char *product, int len, uint32 hash, bool fresh)
{
	uint64		start_count = inval_count;
	MemoryContext oldcxt;
	Snapshot	snapshot;
	EntryScope	scope;
	SnapKey		snap;
	ProbeResult res;
	MemoEntry  *e;
	text	   *key;

	MemoryContextReset(probe_cxt);
	oldcxt = MemoryContextSwitchTo(probe_cxt);

	lock_source();
	snapshot = read_snapshot(fresh, &scope);
	snapkey_of(snapshot, &snap);

	key = cstring_to_text_with_len(product, len);
	res.nrows = 0;
	res.maxrows = 4;
	res.rows = palloc(sizeof(FloorRow) * res.maxrows);
	if (OidIsValid(source_index))
		probe_index(key, snapshot, &res);
	else
		probe_spi(key, snapshot, &res);

	MemoryContextSwitchTo(oldcxt);
	e = build_entry(product, len, hash, &res);
	e->scope = scope;
	*MEMO_SNAPKEY(e) = snap;
	e->xact_serial = xact_serial;
	MemoryContextReset(probe_cxt);

	/* an invalidation that arrived meanwhile: this lookup only */
	if (inval_count != start_count || memo_reset_pending)
	{
		Assert(orphan == NULL);
		orphan = e;
	}
	return e;
}

/* Put an entry read in bulk into the memo, unless the product is there. */
static int	bulk_products;		/* products the last bulk read added */

static void
memo_add_bulk(MemoEntry *e)
{
	MemoKey		key = {e->name, e->len};
	MemoSlot   *slot;
	bool		found;

	slot = memotab_insert_hash(memo, key, e->hash, &found);
	if (found)
	{
		pfree(e);
		return;
	}
	slot->key = key;
	e->referenced = false;
	memo_chunks += e->space;
	bulk_products++;
}

/*
 * The bulk read: every floor, in product order, through the product index,
 * into the memo, when the whole table fits in half the memo's budget.  Not
 * under SERIALIZABLE, where each product is read in each transaction, and
 * not without the product index.  Returns whether it read.
 */
static bool
memo_bulk_read(bool fresh)
{
	uint64		start_count = inval_count;
	MemoryContext oldcxt;
	MemoryContext rowcxt;
	Relation	heap;
	Relation	idx;
	TupleTableSlot *slot;
	IndexScanDesc scan;
	Snapshot	snapshot;
	EntryScope	scope;
	SnapKey		snap;
	ProbeResult res;
	text	   *current = NULL;
	double		floors;

	if (IsolationIsSerializable())
		return false;

	MemoryContextReset(probe_cxt);
	oldcxt = MemoryContextSwitchTo(probe_cxt);
	lock_source();
	if (!OidIsValid(source_index))
	{
		MemoryContextSwitchTo(oldcxt);
		return false;
	}
	heap = table_open(source_relid, NoLock);
	floors = heap->rd_rel->reltuples;
	if (floors < 0)				/* never analyzed: count pages instead */
		floors = (double) RelationGetNumberOfBlocks(heap) * 60;
	if (memo_misses < Min(BULK_MAX_MISSES, floors / 4))
	{
		table_close(heap, NoLock);
		MemoryContextSwitchTo(oldcxt);
		return false;			/* not yet */
	}
	memo_bulk_tried = true;
	if (floors * BULK_BYTES_PER_FLOOR > memo_budget() / 2)
	{
		table_close(heap, NoLock);
		MemoryContextSwitchTo(oldcxt);
		return false;
	}

	snapshot = read_snapshot(fresh, &scope);
	snapkey_of(snapshot, &snap);
	bulk_products = 0;
	rowcxt = AllocSetContextCreate(probe_cxt, "valuecheck floor bulk read",
								   ALLOCSET_DEFAULT_SIZES);
	res.maxrows = 4;
	idx = index_open(source_index, AccessShareLock);
	slot = table_slot_create(heap, NULL);
	scan = vc_index_beginscan(heap, idx, snapshot, 0, 0);
	index_rescan(scan, NULL, 0, NULL, 0);
	for (;;)
	{
		bool		more = index_getnext_slot(scan, ForwardScanDirection, slot);
		text	   *product = NULL;
		Datum		values[7];
		bool		nulls[7];
		int			i;

		if (more)
		{
			slot_getallattrs(slot);
			for (i = 0; i < 7; i++)
			{
				values[i] = slot->tts_values[source_att[i] - 1];
				nulls[i] = slot->tts_isnull[source_att[i] - 1];
			}
			product = DatumGetTextPP(values[1]);
		}
		/* a product's rows are done: its entry goes into the memo */
		if (current != NULL &&
			(!more || VARSIZE_ANY_EXHDR(product) != VARSIZE_ANY_EXHDR(current) ||
			 memcmp(VARDATA_ANY(product), VARDATA_ANY(current), VARSIZE_ANY_EXHDR(current)) != 0))
		{
			MemoEntry  *e;

			e = build_entry(VARDATA_ANY(current), VARSIZE_ANY_EXHDR(current),
							hash_bytes((const unsigned char *) VARDATA_ANY(current),
									   VARSIZE_ANY_EXHDR(current)), &res);
			e->scope = scope;
			*MEMO_SNAPKEY(e) = snap;
			e->xact_serial = xact_serial;
			memo_add_bulk(e);
			MemoryContextReset(rowcxt);
			current = NULL;
			/* the estimate was wrong: leave the rest to probes */
			if (memo_used() > memo_budget() - memo_budget() / 8)
				break;
		}
		if (!more)
			break;
		MemoryContextSwitchTo(rowcxt);
		if (current == NULL)
		{
			current = (text *) pg_detoast_datum_copy((struct varlena *) product);
			res.nrows = 0;
			res.rows = palloc(sizeof(FloorRow) * res.maxrows);
		}
		for (i = 2; i < 7; i++)
			if (!nulls[i])
				values[i] = PointerGetDatum(pg_detoast_datum_copy((struct varlena *) DatumGetPointer(values[i])));
		collect_row(&res, values, nulls);
		MemoryContextSwitchTo(probe_cxt);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, NoLock);
	table_close(heap, NoLock);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(probe_cxt);

	/* an invalidation that arrived meanwhile: what was read serves this lookup only */
	if (inval_count != start_count)
		memo_reset_pending = true;
	elog(DEBUG1, "valuecheck: a bulk read of the floors (%.0f estimated) added %d products to the floor memo",
		 floors, bulk_products);
	return true;
}

/* The floors of a product, from the memo or read now. */
static const MemoEntry *
memo_lookup_product(const char *product, int len, bool fresh)
{
	uint32		hash = hash_bytes((const unsigned char *) product, len);
	MemoKey		key = {product, len};
	MemoSlot   *slot;
	MemoEntry  *e;
	bool		found;

	slot = memotab_lookup_hash(memo, key, hash);
	if (slot != NULL)
	{
		e = MEMO_ENTRY_OF(slot->key.data);
		if (likely(entry_usable(e, fresh)))
		{
			e->referenced = true;
			return e;
		}
		memo_remove(e);
	}

	if (unlikely(++memo_misses >= BULK_MIN_MISSES && !memo_bulk_tried) &&
		memo_bulk_read(fresh))
	{
		slot = memotab_lookup_hash(memo, key, hash);
		if (slot != NULL)
		{
			e = MEMO_ENTRY_OF(slot->key.data);
			if (entry_usable(e, fresh))
			{
				e->referenced = true;
				return e;
			}
			memo_remove(e);
		}
	}

	e = memo_read(product, len, hash, fresh);
	if (e == orphan)
		return e;

	key.data = e->name;
	slot = memotab_insert_hash(memo, key, hash, &found);
	Assert(!found);
	slot->key = key;
	e->referenced = false;
	memo_chunks += e->space;
	memo_trim(e);

	/*
	 * Freed chunks go back to the context's free lists, not to the system:
	 * should a change in entry sizes leave much more allocated than the
	 * entries use, start afresh at the next lookup.
	 */
	if (MemoryContextMemAllocated(memo_cxt, false) >
		memo_budget() + memo_budget() / 4 + 128 * 1024)
		memo_reset_pending = true;
	return e;
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
	const MemoEntry *rec;
	const FloorEntry *best = NULL;
	int			best_score = -1;
	int			i;

	/* cheap unless another backend sent something */
	AcceptInvalidationMessages();
	memo_prepare();
	rec = memo_lookup_product(product, product_len, fresh);

	for (i = 0; i < rec->nfloors; i++)
	{
		const FloorEntry *e = &rec->floors[i];
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
	if (floor->min_price && vc_numeric_less(by_discount, floor->min_price))
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
