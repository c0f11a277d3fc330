/*
 * floors_check.c
 *		valuecheck.floors_check(): the BEFORE ROW trigger on valuecheck.floors
 *		that refuses a floor overlapping another of the same product, campaign
 *		and currency with a message naming both floors.
 *
 * The exclusion constraint floors_no_overlap is the rule (it holds under
 * concurrent writers); this trigger only gives the clearer message, before
 * the constraint would raise its own.  It looks the product's floors up
 * through the product index, under SnapshotSelf: every committed floor and
 * every floor this transaction wrote, the rows of the same statement
 * included (a multi-row insert that overlaps itself), as the PL/pgSQL
 * version of 1.0 saw them through a new snapshot per row.  Floors of
 * transactions still in progress are the constraint's business.
 *
 * Per row this is one index probe, not a PL/pgSQL call running a query: a
 * price list of 100,000 floors uploads in a fraction of the time.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "compat.h"
#include "valuecheck.h"

PG_FUNCTION_INFO_V1(valuecheck_floors_check);

/* The floors relation the trigger last ran on (valuecheck.floors, or a placement). */
static Oid	check_relid = InvalidOid;
static bool check_valid = false;
static AttrNumber check_att[5];	/* floor_id, product, campaign, currency, valid */
static Oid	check_index = InvalidOid;
static Oid	check_collation = InvalidOid;
static RegProcedure check_eqproc = InvalidOid;

static const char *const check_columns[5] = {
	"floor_id", "product", "campaign", "currency", "valid"
};

static void
floors_check_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == check_relid)
		check_valid = false;
}

void
floors_check_register_callbacks(void)
{
	CacheRegisterRelcacheCallback(floors_check_relcache_callback, (Datum) 0);
}

static void
check_prepare(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (check_valid && check_relid == RelationGetRelid(rel))
		return;
	check_relid = RelationGetRelid(rel);
	check_valid = true;			/* an invalidation from here on clears it */
	for (i = 0; i < 5; i++)
	{
		int			att = SPI_fnumber(desc, check_columns[i]);

		if (att <= 0)
			elog(ERROR, "relation \"%s\" has no column \"%s\"",
				 RelationGetRelationName(rel), check_columns[i]);
		check_att[i] = att;
	}
	check_index = floors_product_index(rel, check_att[1], &check_collation, &check_eqproc);
}

static text *
slot_text(TupleTableSlot *slot, int i)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, check_att[i], &isnull);

	return isnull ? NULL : DatumGetTextPP(d);
}

static bool
same_scope(text *a, text *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

static char *
scope_label(text *t)
{
	return t ? quote_literal_cstr(text_to_cstring(t)) : "any";
}

static char *
range_text(Datum range)
{
	Oid			output;
	bool		isvarlena;

	getTypeOutputInfo(TSTZRANGEOID, &output, &isvarlena);
	return OidOutputFunctionCall(output, range);
}

Datum
valuecheck_floors_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	HeapTuple	newtuple;
	TupleTableSlot *newslot;
	TupleTableSlot *slot;
	text	   *product;
	text	   *campaign;
	text	   *currency;
	Datum		valid;
	int64		floor_id;
	bool		isnull;
	TypeCacheEntry *rangetype;
	Relation	idx;
	IndexScanDesc scan;
	ScanKeyData key;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"valuecheck.floors_check")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		  TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired BEFORE ROW for INSERT or UPDATE",
						"valuecheck.floors_check")));

	rel = trigdata->tg_relation;
	newtuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	check_prepare(rel);

	newslot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
	ExecStoreHeapTuple(newtuple, newslot, false);
	product = slot_text(newslot, 1);
	valid = slot_getattr(newslot, check_att[4], &isnull);
	/* no product or no validity: nothing can overlap (NOT NULL refuses it) */
	if (product == NULL || isnull || !OidIsValid(check_index))
	{
		/* without a product index the constraint alone speaks */
		ExecDropSingleTupleTableSlot(newslot);
		return PointerGetDatum(newtuple);
	}
	campaign = slot_text(newslot, 2);
	currency = slot_text(newslot, 3);
	floor_id = DatumGetInt64(slot_getattr(newslot, check_att[0], &isnull));
	if (isnull)
		floor_id = -1;
	rangetype = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);

	idx = index_open(check_index, AccessShareLock);
	slot = table_slot_create(rel, NULL);
	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   check_collation, check_eqproc, PointerGetDatum(product));
	scan = vc_index_beginscan(rel, idx, SnapshotSelf, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		int64		other_id;
		Datum		other_valid;

		other_id = DatumGetInt64(slot_getattr(slot, check_att[0], &isnull));
		/* a row never overlaps itself (the old version of an updated row; Citus copies rows in) */
		if (isnull || other_id == floor_id)
			continue;
		if (!same_scope(slot_text(slot, 2), campaign) ||
			!same_scope(slot_text(slot, 3), currency))
			continue;
		other_valid = slot_getattr(slot, check_att[4], &isnull);
		if (isnull ||
			!range_overlaps_internal(rangetype, DatumGetRangeTypeP(valid),
									 DatumGetRangeTypeP(other_valid)))
			continue;

		ereport(ERROR,
				(errcode(ERRCODE_EXCLUSION_VIOLATION),
				 errmsg("value floor for product %s (campaign %s, currency %s) overlaps floor " INT64_FORMAT " in time",
						quote_literal_cstr(text_to_cstring(product)),
						scope_label(campaign), scope_label(currency), other_id),
				 errdetail("The new floor is valid %s, floor " INT64_FORMAT " is valid %s.",
						   range_text(valid), other_id, range_text(other_valid)),
				 errhint("End the validity of the existing floor first, e.g. UPDATE valuecheck.floors SET valid = tstzrange(lower(valid), '...')."),
				 err_generic_string(PG_DIAG_CONSTRAINT_NAME, "floors_no_overlap")));
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	ExecDropSingleTupleTableSlot(newslot);
	index_close(idx, NoLock);

	return PointerGetDatum(newtuple);
}
