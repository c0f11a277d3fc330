/*
 * enforce.c
 *		valuecheck.enforce(): the trigger that checks every order line
 *		written into a protected table against its value floor.
 *
 * It runs AFTER INSERT OR UPDATE FOR EACH ROW (see src/README for the
 * measurements behind that choice):
 *	- COPY keeps its batched multi-insert path (a BEFORE ROW trigger would
 *	  switch it off);
 *	- the row it sees is the row as stored, after every BEFORE trigger and
 *	  after generated columns;
 *	- the trigger is cloned to every partition, present and future, and a
 *	  row moved to another partition arrives there as an insert;
 *	- an error raised here aborts the statement like a CHECK constraint.
 *
 * Per row it reads a handful of attributes, looks the product up in the
 * backend's floor cache and compares two numerics; it runs no query unless
 * the line is below its floor.  The trigger manager calls it in a
 * per-tuple memory context that is reset after every row.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "valuecheck.h"

PG_FUNCTION_INFO_V1(valuecheck_enforce);

/* The mapped values of one row. */
typedef struct Line
{
	const char *product;		/* NULL if the product is NULL */
	int			product_len;
	const char *campaign;		/* NULL if unmapped or NULL; not terminated */
	int			campaign_len;
	const char *currency;
	int			currency_len;
	char	   *approval;
	bool		price_null;
	Numeric		price;
	Numeric		list_price;		/* NULL if unmapped or NULL */
} Line;

/* How a line stands against its floor. */
typedef enum LineStatus
{
	LINE_OK,					/* at or above its floor, or no floor applies */
	LINE_BELOW,					/* below its floor */
	LINE_UNKNOWN_PRODUCT,		/* no floor, and unknown products are refused */
	LINE_NULL_PRICE,
	LINE_NAN_PRICE,
	LINE_NEEDS_LIST_PRICE,
	LINE_BAD_LIST_PRICE
} LineStatus;

/* Text form of a key column; NULL when the column is unmapped or NULL. */
static char *
read_key(ProtectionConfig *config, TupleTableSlot *slot, int role, int *len)
{
	bool		isnull;
	Datum		value;

	if (config->attnum[role] == InvalidAttrNumber)
		return NULL;
	value = slot_getattr(slot, config->attnum[role], &isnull);
	if (isnull)
		return NULL;
	return mapped_key_text(value, config->basetype[role], &config->output[role], len);
}

static Numeric
read_number(ProtectionConfig *config, TupleTableSlot *slot, int role)
{
	bool		isnull;
	Datum		value;

	if (config->attnum[role] == InvalidAttrNumber)
		return NULL;
	value = slot_getattr(slot, config->attnum[role], &isnull);
	if (isnull)
		return NULL;
	return price_to_numeric(value, config->basetype[role]);
}

static void
read_line(ProtectionConfig *config, TupleTableSlot *slot, Line *line)
{
	line->product = read_key(config, slot, ROLE_PRODUCT, &line->product_len);
	line->campaign = read_key(config, slot, ROLE_CAMPAIGN, &line->campaign_len);
	line->currency = read_key(config, slot, ROLE_CURRENCY, &line->currency_len);
	/* price, list price and approval are read only when they matter */
	line->approval = NULL;
	line->price = NULL;
	line->price_null = true;
	line->list_price = NULL;
}

/*
 * Judge a line at the time of the write.  On LINE_BELOW, *floor_out holds
 * the floor price (possibly pointing into the cache); *entry_out is set
 * whenever a floor applies.
 */
static LineStatus
judge_line(ProtectionConfig *config, TupleTableSlot *slot, Line *line,
		   const FloorEntry **entry_out, Numeric *floor_out)
{
	const FloorEntry *entry = NULL;

	*entry_out = NULL;
	*floor_out = NULL;
	if (line->product != NULL)
		entry = floor_resolve(line->product, line->product_len,
							  line->campaign, line->campaign_len,
							  line->currency, line->currency_len,
							  GetCurrentTransactionStartTimestamp(), true);
	if (entry == NULL)
	{
		if (!config->args.reject_unknown)
			return LINE_OK;
		/* refused or logged: the price goes into the violation */
		line->price = read_number(config, slot, ROLE_PRICE);
		line->price_null = (line->price == NULL);
		return LINE_UNKNOWN_PRODUCT;
	}
	*entry_out = entry;

	line->price = read_number(config, slot, ROLE_PRICE);
	line->price_null = (line->price == NULL);
	if (line->price_null)
		return LINE_NULL_PRICE;
	if (numeric_is_nan(line->price))
		return LINE_NAN_PRICE;

	/* only a max_discount floor looks at the list price */
	if (entry->max_discount != NULL)
		line->list_price = read_number(config, slot, ROLE_LIST_PRICE);
	switch (floor_price(entry, line->list_price, floor_out))
	{
		case FLOOR_PRICED:
			break;
		case FLOOR_NEEDS_LIST_PRICE:
			return LINE_NEEDS_LIST_PRICE;
		case FLOOR_BAD_LIST_PRICE:
			return LINE_BAD_LIST_PRICE;
	}
	return vc_numeric_less(line->price, *floor_out) ? LINE_BELOW : LINE_OK;
}

static bool
mapped_columns_changed(ProtectionConfig *config, TupleTableSlot *oldslot,
					   TupleTableSlot *newslot)
{
	int			role;

	for (role = 0; role < NUM_ROLES; role++)
	{
		AttrNumber	attnum = config->attnum[role];
		bool		oldnull,
					newnull;
		Datum		oldval,
					newval;

		if (attnum == InvalidAttrNumber)
			continue;
		oldval = slot_getattr(oldslot, attnum, &oldnull);
		newval = slot_getattr(newslot, attnum, &newnull);
		if (oldnull != newnull)
			return true;
		if (!oldnull && !datumIsEqual(oldval, newval, config->typbyval[role],
									  config->typlen[role]))
			return true;
	}
	return false;
}

static char *
line_product(const Line *line)
{
	return line->product ? pnstrdup(line->product, line->product_len) : NULL;
}

static char *
line_campaign(const Line *line)
{
	return line->campaign ? pnstrdup(line->campaign, line->campaign_len) : NULL;
}

static const char *
scope_text(const char *value)
{
	return value ? quote_literal_cstr(value) : "any";
}

/* "approval 7", or the value as written when it names no approval */
static char *
approval_label(const char *value)
{
	int64		id;

	if (approval_id_parse(value, &id))
		return psprintf("approval " INT64_FORMAT, id);
	return psprintf("approval value \"%s\"", value);
}

/*
 * Report a line that cannot be accepted: an ERROR in enforce mode, a
 * WARNING plus a row in valuecheck.violations in warn mode.
 */
static void
report_refusal(ProtectionConfig *config, Relation rel, Line *line,
			   TupleTableSlot *slot, LineStatus status,
			   const FloorEntry *entry, Numeric floor,
			   const char *approval_failure)
{
	int			elevel = config->args.warn_mode ? WARNING : ERROR;
	const char *relname = NameStr(config->table_name);
	char	   *product = line_product(line);
	char	   *price = line->price_null ? NULL : vc_numeric_text(line->price);
	char	   *floor_text = floor ? vc_numeric_text(floor) : NULL;
	char	   *detail = NULL;
	const char *approval_col = config->args.column[ROLE_APPROVAL];
	char	   *hint;

	if (status == LINE_OK)
		return;
	if (entry)
		detail = psprintf("Value floor %lld applies: campaign %s, currency %s, valid %s.",
						  (long long) entry->floor_id,
						  scope_text(entry->campaign),
						  scope_text(entry->currency),
						  floor_valid_text(entry));
	if (config->citus_shard)
		hint = pstrdup("Approvals are single-node: a line of a Citus distributed table cannot be approved.");
	else if (approval_col)
		hint = psprintf("A sales manager can approve an exception with valuecheck.approve(); the line then names the approval in column \"%s\".",
						approval_col);
	else
		hint = pstrdup("A sales manager can approve an exception with valuecheck.approve() once the table maps an approval column (valuecheck.protect(..., approval => ...)).");

	if (config->args.warn_mode)
	{
		Numeric		logged_floor = floor;
		char	   *rep = read_key(config, slot, ROLE_REP, NULL);

		log_violation(protection_qualified_name(config), product, line_campaign(line), rep, line->price,
					  logged_floor, entry ? entry->floor_id : -1);
	}

	switch (status)
	{
		case LINE_BELOW:
			if (approval_failure)
				ereport(elevel,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("%s does not cover price %s for product \"%s\" on \"%s\": %s",
								approval_label(line->approval), price, product,
								relname, approval_failure),
						 errdetail("The price is below its value floor %s. %s",
								   floor_text, detail),
						 errtableconstraint(rel, "valuecheck_floor")));
			else
				ereport(elevel,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("price %s for product \"%s\" on \"%s\" is below its value floor %s",
								price, product, relname, floor_text),
						 errdetail("%s", detail),
						 errhint("%s", hint),
						 errtableconstraint(rel, "valuecheck_floor")));
			break;
		case LINE_UNKNOWN_PRODUCT:
			if (product == NULL)
				ereport(elevel,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("product of a line on \"%s\" is NULL, so no value floor applies",
								relname),
						 errdetail("The table is protected with unknown_product => 'reject'."),
						 errtableconstraint(rel, "valuecheck_floor")));
			else
				ereport(elevel,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("product \"%s\" on \"%s\" has no value floor in force",
								product, relname),
						 errdetail("The table is protected with unknown_product => 'reject'; no floor matches the line's campaign and currency now."),
						 errhint("Marketing sets floors in valuecheck.floors."),
						 errtableconstraint(rel, "valuecheck_floor")));
			break;
		case LINE_NULL_PRICE:
			ereport(elevel,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("price for product \"%s\" on \"%s\" is NULL and cannot be checked against its value floor",
							product, relname),
					 errdetail("%s", detail),
					 errtableconstraint(rel, "valuecheck_floor")));
			break;
		case LINE_NAN_PRICE:
			ereport(elevel,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("price NaN for product \"%s\" on \"%s\" cannot be checked against its value floor",
							product, relname),
					 errdetail("%s", detail),
					 errtableconstraint(rel, "valuecheck_floor")));
			break;
		case LINE_NEEDS_LIST_PRICE:
			ereport(elevel,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("list price for product \"%s\" on \"%s\" is NULL, but its value floor is a maximum discount from the list price",
							product, relname),
					 errdetail("%s The floor allows a discount of at most %s.",
							   detail, vc_numeric_text(entry->max_discount)),
					 errtableconstraint(rel, "valuecheck_floor")));
			break;
		case LINE_BAD_LIST_PRICE:
			ereport(elevel,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("list price NaN for product \"%s\" on \"%s\" gives no value floor",
							product, relname),
					 errdetail("%s", detail),
					 errtableconstraint(rel, "valuecheck_floor")));
			break;
		case LINE_OK:
			break;
	}
}

static bool
same_key(const char *a, int alen, const char *b, int blen)
{
	if (a == NULL || b == NULL)
		return a == b;
	return alen == blen && memcmp(a, b, alen) == 0;
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * May an UPDATE whose new row is below its floor and names approval
 * "approval_id" keep that approval without a new use?  Only when it cannot
 * widen what the approval covers: the old row named the same approval and
 * is below its floor now, and the new row keeps product, campaign,
 * currency and rep, does not lower the price and does not raise the
 * quantity.  Returns the old row's price (for approval_use() to check the
 * old row against the approval's terms), or NULL: the update takes a use
 * like an insert.
 */
static Numeric
update_kept_price(ProtectionConfig *config, TupleTableSlot *oldslot,
				  TupleTableSlot *newslot, const Line *line, const char *rep,
				  int64 approval_id)
{
	Line		old;
	const FloorEntry *entry;
	Numeric		floor;
	int64		old_id;
	char	   *old_approval;
	Numeric		old_qty,
				new_qty;

	old_approval = read_key(config, oldslot, ROLE_APPROVAL, NULL);
	if (old_approval == NULL || !approval_id_parse(old_approval, &old_id) ||
		old_id != approval_id)
		return NULL;

	read_line(config, oldslot, &old);
	if (!same_key(old.product, old.product_len, line->product, line->product_len) ||
		!same_key(old.campaign, old.campaign_len, line->campaign, line->campaign_len) ||
		!same_key(old.currency, old.currency_len, line->currency, line->currency_len) ||
		!same_text(read_key(config, oldslot, ROLE_REP, NULL), rep))
		return NULL;

	if (judge_line(config, oldslot, &old, &entry, &floor) != LINE_BELOW ||
		vc_numeric_less(line->price, old.price))
		return NULL;

	old_qty = read_number(config, oldslot, ROLE_QUANTITY);
	new_qty = read_number(config, newslot, ROLE_QUANTITY);
	if (old_qty == NULL || new_qty == NULL)
	{
		if (old_qty != new_qty)
			return NULL;
	}
	else if (vc_numeric_less(old_qty, new_qty))
		return NULL;

	return old.price;
}

Datum
valuecheck_enforce(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	ProtectionConfig *config;
	TupleTableSlot *slot;
	bool		is_update;
	Line		line;
	const FloorEntry *entry;
	Numeric		floor;
	LineStatus	status;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"valuecheck.enforce")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired AFTER ROW",
						"valuecheck.enforce"),
				 errhint("Create valuecheck triggers with valuecheck.protect().")));
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		is_update = false;
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		is_update = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired for INSERT or UPDATE",
						"valuecheck.enforce")));

	if (!valuecheck_enabled)
		return PointerGetDatum(NULL);

	trigger = trigdata->tg_trigger;
	rel = trigdata->tg_relation;
	config = protection_config_get(rel, trigger->tgoid, trigger->tgnargs,
								   trigger->tgargs);

	if (is_update)
	{
		/* an order must stay updatable when no mapped column changes */
		if (!mapped_columns_changed(config, trigdata->tg_trigslot,
									trigdata->tg_newslot))
			return PointerGetDatum(NULL);
		slot = trigdata->tg_newslot;
	}
	else
		slot = trigdata->tg_trigslot;

	read_line(config, slot, &line);
	status = judge_line(config, slot, &line, &entry, &floor);
	if (status == LINE_OK)
		return PointerGetDatum(NULL);
	line.approval = read_key(config, slot, ROLE_APPROVAL, NULL);

	/*
	 * Taking a use is a write to valuecheck.approvals, which a shard's
	 * trigger on a Citus worker cannot make part of the writer's
	 * distributed transaction: approvals are single-node, and a line that
	 * names one is refused saying so.
	 */
	if (status == LINE_BELOW && line.approval != NULL && config->citus_shard)
	{
		report_refusal(config, rel, &line, slot, status, entry, floor,
					   psprintf("approvals are single-node, and \"%s\" is a Citus distributed table",
								NameStr(config->table_name)));
		return PointerGetDatum(NULL);
	}

	if (status == LINE_BELOW && line.approval != NULL)
	{
		ApprovalRequest req;
		char	   *failure = NULL;
		int64		approval_id;
		int64		named_id;

		/* the cache may be rebuilt by what runs below: keep our own copies */
		floor = DatumGetNumericCopy(NumericGetDatum(floor));

		req.rel = rel;
		req.approval_value = line.approval;
		req.product = line_product(&line);
		req.campaign = line_campaign(&line);
		req.rep = read_key(config, slot, ROLE_REP, NULL);
		req.price = line.price;
		req.floor = floor;
		req.kept_price = NULL;
		if (is_update && approval_id_parse(line.approval, &named_id))
			req.kept_price = update_kept_price(config, trigdata->tg_trigslot,
											   slot, &line, req.rep, named_id);
		approval_id = approval_use(&req, &failure);
		if (approval_id >= 0)
		{
			log_exception(protection_qualified_name(config), approval_id, req.product, req.campaign,
						  req.rep, line.price, floor);
			return PointerGetDatum(NULL);
		}
		/* floor resolution may have been redone: resolve again for messages */
		status = judge_line(config, slot, &line, &entry, &floor);
		report_refusal(config, rel, &line, slot, status, entry, floor, failure);
		return PointerGetDatum(NULL);
	}

	report_refusal(config, rel, &line, slot, status, entry, floor, NULL);
	return PointerGetDatum(NULL);
}
