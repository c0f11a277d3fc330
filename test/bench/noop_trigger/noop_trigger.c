/*
 * noop_trigger.c
 *		Benchmark helper for valuecheck's `make bench` (test/bench/): a C
 *		trigger function that does nothing, to measure what the trigger
 *		machinery itself costs for each kind of trigger (AFTER ROW, AFTER
 *		STATEMENT with a transition table, BEFORE ROW).
 *
 * It is not part of the extension; test/bench/run.sh creates it with
 *		CREATE FUNCTION ... RETURNS trigger AS '$libdir/noop_trigger' LANGUAGE C
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(noop_trigger);

Datum
noop_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "noop_trigger: not called by trigger manager");

	/* a BEFORE ROW trigger hands the row on unchanged */
	if (TRIGGER_FIRED_BEFORE(trigdata->tg_event) &&
		TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
	{
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
			return PointerGetDatum(trigdata->tg_newtuple);
		return PointerGetDatum(trigdata->tg_trigtuple);
	}
	return PointerGetDatum(NULL);
}
