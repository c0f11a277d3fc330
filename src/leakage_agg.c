/*
 * leakage_agg.c
 *		The discount-leakage aggregates (README, "Discount leakage
 *		aggregates"): transition, inverse transition, combine and final
 *		functions of discount_leakage, floor_leakage and leakage, over the
 *		state described in leakage.h.
 *
 * Every result equals the same arithmetic done with SQL numeric: sums keep
 * their exact value and the display scale SQL's sum would give
 * (leakage_sum.h), the two rates are computed once, in the final function,
 * by numeric_div itself on exactly the operands SQL would divide
 * (leakage_rate.h for the maximum).
 *
 * Rows.  A row is aggregated when its required inputs are not NULL:
 * list price, price and quantity for discount_leakage and leakage; price and
 * quantity for floor_leakage.  A NULL floor counts as "not below".  One
 * function per aggregate (lk_row_discount, lk_row_floor, lk_row_leakage)
 * reads a row and hands each part of it (the line, the value each sum
 * receives, the counters, the discount-rate candidate) to the lk_put_*
 * steps: straight into the state for the forward transition, or into an
 * LkRow that the inverse transition checks and then takes out.
 *
 * The fast path is the same row function, inlined into each forward entry
 * point with the state updated in place: it reads each input's digits into
 * an int64 mantissa (no palloc) and does the products in lk_acc.  A value
 * with an input that does not fit, or is NaN or infinite, is computed with
 * numeric_sub/numeric_mul/numeric_div/numeric_cmp, so NaN and infinities
 * behave exactly as in SQL (NaN sorts above every number and equals itself;
 * inf - inf, inf * 0 and inf / inf are NaN; ...).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "nodes/execnodes.h"

#include "leakage_rate.h"
#include "leakage_sum.h"

PG_FUNCTION_INFO_V1(valuecheck_discount_leakage_final);
PG_FUNCTION_INFO_V1(valuecheck_floor_leakage_final);
PG_FUNCTION_INFO_V1(valuecheck_leakage_final);
PG_FUNCTION_INFO_V1(valuecheck_leakage_state_combine);

/* ----------------------------------------------------------------------
 * Where a row goes.  With row == NULL each step updates the state (the
 * forward transition); else it fills *row (the inverse transition).  The
 * callers pass a constant, so each is compiled apart.
 * ----------------------------------------------------------------------
 */
typedef struct LkRow
{
	LkVal		vals[LK_NSUMS];
	bool		discounted;		/* price < list price */
	bool		below;			/* price < floor */
	LkRate		rate;
} LkRow;

/* the row counts: first step of every row */
static pg_attribute_always_inline void
lk_put_line(LkWork *w, LkRow *row)
{
	int			i;

	if (row == NULL)
	{
		lk_count_line(w->st);
		return;
	}
	for (i = 0; i < LK_NSUMS; i++)
		row->vals[i].present = false;
	row->discounted = false;
	row->below = false;
	row->rate.kind = LK_RATE_NONE;
}

static pg_attribute_always_inline void
lk_put_sum(LkWork *w, LkRow *row, int idx, const LkVal *x)
{
	if (row == NULL)
		lk_sum_apply(w, idx, x, 1);
	else
		row->vals[idx] = *x;
}

/* a value numeric.c computed (the slow path) */
static pg_noinline void
lk_put_numeric(LkWork *w, LkRow *row, int idx, Numeric n)
{
	LkVal		x;

	lk_val_numeric(&x, n);
	lk_put_sum(w, row, idx, &x);
}

/* a row's marks: price < list price, price < floor */
typedef enum LkMark
{
	LK_DISCOUNTED,
	LK_BELOW
} LkMark;

static pg_attribute_always_inline void
lk_put_mark(LkWork *w, LkRow *row, LkMark mark)
{
	if (row == NULL)
		*(mark == LK_BELOW ? &w->st->below : &w->st->discounted) += 1;
	else
		*(mark == LK_BELOW ? &row->below : &row->discounted) = true;
}

static pg_attribute_always_inline void
lk_put_rate(LkWork *w, LkRow *row, const LkRate *x)
{
	if (row == NULL)
		lk_rate_add(w, x);
	else
		row->rate = *x;
}

/* ----------------------------------------------------------------------
 * Inputs
 * ----------------------------------------------------------------------
 */

/*
 * (a - b) * q in lk_acc at scale max(a.d, b.d) + q.d, as SQL computes it;
 * false if the difference has too many digits for the fast path.
 */
static pg_attribute_always_inline bool
lk_diff_times(const LkNum *a, const LkNum *b, const LkNum *q, LkVal *out)
{
	lk_acc		x = a->m;
	lk_acc		y = b->m;
	lk_acc		diff;
	int			d = Max(a->d, b->d);

	if (a->d != b->d)
	{
		if (!lk_scale_up(&x, d - a->d) || !lk_scale_up(&y, d - b->d))
			return false;
	}
	diff = x - y;
	if (diff > 2 * (lk_acc) LK_MANT_MAX || diff < -2 * (lk_acc) LK_MANT_MAX)
		return false;
	lk_val_fast(out, diff * q->m, d + q->d);
	return true;
}

static const LkNum lk_one_num = {LK_FINITE, true, 0, 1};

/*
 * The quantity (argument 3 of the support functions), as the SQL signature
 * passes it: absent (quantity 1), numeric, or an integer of the smallint /
 * integer / bigint overloads, read directly (no int-to-numeric cast per
 * row).  Every path below takes the quantity either decoded (lk_qty_read:
 * a mantissa and a display scale, 0 for an integer, as SQL's cast to
 * numeric gives it) or, on the slow path, as a Numeric (lk_qty_numeric).
 * The entry points pass a constant, so each variant is compiled apart.
 */
typedef enum LkQtyKind
{
	LK_QTY_ONE = 0,
	LK_QTY_NUMERIC,
	LK_QTY_INT2,
	LK_QTY_INT4,
	LK_QTY_INT8
} LkQtyKind;

static pg_attribute_always_inline int64
lk_qty_int(FunctionCallInfo fcinfo, int qk)
{
	switch (qk)
	{
		case LK_QTY_INT2:
			return PG_GETARG_INT16(3);
		case LK_QTY_INT4:
			return PG_GETARG_INT32(3);
		default:
			return PG_GETARG_INT64(3);
	}
}

static pg_attribute_always_inline void
lk_qty_read(FunctionCallInfo fcinfo, int qk, LkNum *q)
{
	int64		v;

	switch (qk)
	{
		case LK_QTY_ONE:
			*q = lk_one_num;
			return;
		case LK_QTY_NUMERIC:
			lk_num_read(PG_GETARG_DATUM(3), q);
			return;
		default:
			v = lk_qty_int(fcinfo, qk);
			q->special = LK_FINITE;
			q->d = 0;
			q->m = v;
			/* always for smallint and integer; a huge bigint takes the slow path */
			q->fits = (qk != LK_QTY_INT8) || (v <= LK_MANT_MAX && v >= -LK_MANT_MAX);
			return;
	}
}

/* the quantity as a Numeric (slow path): an integer as SQL casts it, dscale 0 */
static Numeric
lk_qty_numeric(FunctionCallInfo fcinfo, int qk)
{
	if (qk == LK_QTY_NUMERIC)
		return PG_GETARG_NUMERIC(3);
	return lk_num_int(qk == LK_QTY_ONE ? 1 : lk_qty_int(fcinfo, qk));
}

/* ----------------------------------------------------------------------
 * Rows: one function per aggregate.  Each returns false, having done
 * nothing, for a row with a NULL required input.
 * ----------------------------------------------------------------------
 */

/*
 * The list price, price and quantity of discount_leakage and leakage
 * (arguments 1 to 3); false if one of them is NULL.
 */
static pg_attribute_always_inline bool
lk_read_list_price(FunctionCallInfo fcinfo, int qk, LkNum *l, LkNum *p, LkNum *q)
{
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (qk != LK_QTY_ONE && PG_ARGISNULL(3)))
		return false;
	lk_num_read(PG_GETARG_DATUM(1), l);
	lk_num_read(PG_GETARG_DATUM(2), p);
	lk_qty_read(fcinfo, qk, q);
	return true;
}

/* discount_leakage(list_price, price [, quantity]) */
static pg_attribute_always_inline bool
lk_row_discount(FunctionCallInfo fcinfo, int qk, LkWork *w, LkRow *row)
{
	LkNum		l,
				p,
				q;
	LkVal		v;

	if (!lk_read_list_price(fcinfo, qk, &l, &p, &q))
		return false;
	lk_put_line(w, row);
	if (likely(l.fits && p.fits && q.fits && lk_diff_times(&l, &p, &q, &v)))
		lk_put_sum(w, row, LK_DISC, &v);
	else
		lk_put_numeric(w, row, LK_DISC,
					   lk_num_mul(lk_num_sub(PG_GETARG_NUMERIC(1), PG_GETARG_NUMERIC(2)),
								  lk_qty_numeric(fcinfo, qk)));
	return true;
}

/*
 * The floor part of a row, the same for floor_leakage and leakage: below
 * its floor when price < floor, and then (floor - price) * quantity to the
 * floor leakage.  p and f are arguments parg and farg, as read.
 */
static pg_attribute_always_inline void
lk_put_floor(FunctionCallInfo fcinfo, int qk, LkWork *w, LkRow *row,
			 const LkNum *p, const LkNum *f, const LkNum *q, int parg, int farg)
{
	LkVal		v;

	if (likely(p->fits && f->fits && q->fits))
	{
		if (lk_cmp_num(p, f) >= 0)
			return;
		lk_put_mark(w, row, LK_BELOW);
		if (likely(lk_diff_times(f, p, q, &v)))
		{
			lk_put_sum(w, row, LK_FLOORSUM, &v);
			return;
		}
	}
	else
	{
		if (lk_num_cmp(PG_GETARG_NUMERIC(parg), PG_GETARG_NUMERIC(farg)) >= 0)
			return;
		lk_put_mark(w, row, LK_BELOW);
	}
	lk_put_numeric(w, row, LK_FLOORSUM,
				   lk_num_mul(lk_num_sub(PG_GETARG_NUMERIC(farg), PG_GETARG_NUMERIC(parg)),
							  lk_qty_numeric(fcinfo, qk)));
}

/* floor_leakage(price, floor [, quantity]) */
static pg_attribute_always_inline bool
lk_row_floor(FunctionCallInfo fcinfo, int qk, LkWork *w, LkRow *row)
{
	LkNum		p,
				f,
				q;

	if (PG_ARGISNULL(1) || (qk != LK_QTY_ONE && PG_ARGISNULL(3)))
		return false;
	lk_put_line(w, row);
	if (PG_ARGISNULL(2))
		return true;			/* no floor: counted, not below */
	lk_num_read(PG_GETARG_DATUM(1), &p);
	lk_num_read(PG_GETARG_DATUM(2), &f);
	lk_qty_read(fcinfo, qk, &q);
	lk_put_floor(fcinfo, qk, w, row, &p, &f, &q, 1, 2);
	return true;
}

/* lk_row_leakage() for a row with an input that does not fit */
static pg_noinline void
lk_row_leakage_numeric(FunctionCallInfo fcinfo, int qk, LkWork *w, LkRow *row,
					   const LkNum *l, const LkNum *p, const LkNum *q,
					   const LkNum *f, bool has_f)
{
	Numeric		nl = PG_GETARG_NUMERIC(1);
	Numeric		np = PG_GETARG_NUMERIC(2);
	Numeric		nq = lk_qty_numeric(fcinfo, qk);

	lk_put_numeric(w, row, LK_UNITS, nq);
	lk_put_numeric(w, row, LK_LIST, lk_num_mul(nl, nq));
	lk_put_numeric(w, row, LK_NET, lk_num_mul(np, nq));
	if (lk_num_cmp(np, nl) < 0)
		lk_put_mark(w, row, LK_DISCOUNTED);
	if (has_f)
		lk_put_floor(fcinfo, qk, w, row, p, f, q, 2, 4);
	if (lk_num_cmp(nl, lk_num_int(0)) > 0)
	{
		LkRate		x;

		if (l->special != LK_FINITE || p->special != LK_FINITE)
		{
			/* the rate is NaN or infinite: as SQL computes it */
			x.kind = LK_RATE_SPECIAL;
			x.special = lk_num_special(lk_num_div(lk_num_sub(nl, np), nl));
			if (x.special == LK_FINITE)
				elog(ERROR, "valuecheck: unexpected finite discount rate");
		}
		else if (l->fits && p->fits)
			lk_rate_fast(&x, l, p);
		else
		{
			x.kind = LK_RATE_NUM;
			x.nl = nl;
			x.np = np;
		}
		lk_put_rate(w, row, &x);
	}
}

/* leakage(list_price, price [, quantity [, floor]]) */
static pg_attribute_always_inline bool
lk_row_leakage(FunctionCallInfo fcinfo, int qk, LkWork *w, LkRow *row)
{
	bool		has_f = PG_NARGS() > 4 && !PG_ARGISNULL(4);
	LkNum		l,
				p,
				q,
				f;
	LkVal		v;
	LkRate		x;

	if (!lk_read_list_price(fcinfo, qk, &l, &p, &q))
		return false;
	if (has_f)
		lk_num_read(PG_GETARG_DATUM(4), &f);
	else
		f = lk_one_num;
	lk_put_line(w, row);
	if (unlikely(!(l.fits && p.fits && q.fits && f.fits)))
	{
		lk_row_leakage_numeric(fcinfo, qk, w, row, &l, &p, &q, &f, has_f);
		return true;
	}

	lk_val_fast(&v, q.m, q.d);
	lk_put_sum(w, row, LK_UNITS, &v);
	lk_val_fast(&v, (lk_acc) l.m * q.m, l.d + q.d);
	lk_put_sum(w, row, LK_LIST, &v);
	lk_val_fast(&v, (lk_acc) p.m * q.m, p.d + q.d);
	lk_put_sum(w, row, LK_NET, &v);
	if (lk_cmp_num(&p, &l) < 0)
		lk_put_mark(w, row, LK_DISCOUNTED);
	if (has_f)
		lk_put_floor(fcinfo, qk, w, row, &p, &f, &q, 2, 4);
	if (l.m > 0)
	{
		lk_rate_fast(&x, &l, &p);
		lk_put_rate(w, row, &x);
	}
	return true;
}

static pg_attribute_always_inline bool
lk_row(FunctionCallInfo fcinfo, int kind, int qk, LkWork *w, LkRow *row)
{
	switch (kind)
	{
		case LK_DISCOUNT:
			return lk_row_discount(fcinfo, qk, w, row);
		case LK_FLOOR:
			return lk_row_floor(fcinfo, qk, w, row);
		default:
			return lk_row_leakage(fcinfo, qk, w, row);
	}
}

/* can the inverse transition take this row out? */
static bool
lk_row_removable(LkWork *w, const LkRow *row)
{
	LkState    *st = w->st;
	int			i;

	if (st->lines <= 0 ||
		(row->discounted && st->discounted <= 0) ||
		(row->below && st->below <= 0))
		return false;
	for (i = 0; i < LK_NSUMS; i++)
		if (!lk_sum_removable(&st->sums[i], &row->vals[i]))
			return false;
	return lk_rate_removable(w, &row->rate);
}

/* take the row out (lk_row_removable() said yes) */
static void
lk_row_remove(LkWork *w, const LkRow *row)
{
	LkState    *st = w->st;
	int			i;

	st->lines--;
	if (row->discounted)
		st->discounted--;
	if (row->below)
		st->below--;
	for (i = 0; i < LK_NSUMS; i++)
		lk_sum_apply(w, i, &row->vals[i], -1);
	lk_rate_remove(st, &row->rate);
}

/* ----------------------------------------------------------------------
 * Transition functions
 *
 * Not strict: the state starts NULL (there is no initial condition) and rows
 * with a NULL required input are skipped here.  Even then the state is
 * created, because a moving-aggregate transition must never return NULL;
 * the final functions return NULL for a state that aggregated no rows.
 * ----------------------------------------------------------------------
 */

/*
 * The state to update in place, or NULL: only when called as an aggregate
 * (as AggCheckCallContext() tells, inlined here) with a state of this kind,
 * which then is the executor's transition value, a varlena this library
 * built in the aggregate context.
 */
static pg_attribute_always_inline LkState *
lk_state_in_place(FunctionCallInfo fcinfo, int kind)
{
	LkState    *st;

	if (PG_ARGISNULL(0) || fcinfo->context == NULL ||
		!(IsA(fcinfo->context, AggState) || IsA(fcinfo->context, WindowAggState)))
		return NULL;
	st = (LkState *) DatumGetPointer(PG_GETARG_DATUM(0));
	if (!VARATT_IS_4B_U(st) || VARSIZE(st) < LK_FIXED_SIZE || st->kind != kind)
		return NULL;
	return st;
}

/*
 * Any other state to update: a new one, or the argument checked (and
 * copied unless called as an aggregate).
 */
static pg_noinline LkState *
lk_state_to_update(FunctionCallInfo fcinfo, int kind)
{
	if (PG_ARGISNULL(0))
		return lk_new_state(kind);
	return lk_state_arg(PG_GETARG_DATUM(0), kind,
						AggCheckCallContext(fcinfo, NULL) != 0);
}

/*
 * The forward transition: the row straight into the state, in place when
 * it can.  kind and qk are constants at every call, so each entry point
 * gets its own specialized copy.
 */
static pg_attribute_always_inline Datum
lk_forward(FunctionCallInfo fcinfo, int kind, int qk)
{
	LkState    *st = lk_state_in_place(fcinfo, kind);
	LkWork		w;

	if (unlikely(st == NULL))
		st = lk_state_to_update(fcinfo, kind);
	lk_work_begin(&w, st);
	(void) lk_row(fcinfo, kind, qk, &w, NULL);
	/* only a changed Numeric in the tail makes a new varlena */
	PG_RETURN_POINTER(likely(!w.dirty) ? w.st : lk_work_finish(&w));
}

/* the inverse transition: NULL where the row cannot be taken out exactly */
static pg_noinline Datum
lk_inverse(FunctionCallInfo fcinfo, int kind, int qk)
{
	LkState    *st;
	LkWork		w;
	LkRow		row;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* nothing to take a row out of */
	st = lk_state_arg(PG_GETARG_DATUM(0), kind,
					  AggCheckCallContext(fcinfo, NULL) != 0);
	lk_work_begin(&w, st);
	if (!lk_row(fcinfo, kind, qk, &w, &row))
		PG_RETURN_POINTER(st);
	if (!lk_row_removable(&w, &row))
		PG_RETURN_NULL();		/* the executor recomputes the frame */
	lk_row_remove(&w, &row);
	PG_RETURN_POINTER(lk_work_finish(&w));
}

/*
 * The SQL-callable transition and inverse transition functions: numeric
 * quantity (or none: the shorter signatures share the function), and the
 * smallint / integer / bigint quantity overloads.
 */
#define LK_ENTRY_POINTS(name, kind) \
PG_FUNCTION_INFO_V1(valuecheck_##name##_trans); \
Datum \
valuecheck_##name##_trans(PG_FUNCTION_ARGS) \
{ \
	if (PG_NARGS() > 3) \
		return lk_forward(fcinfo, kind, LK_QTY_NUMERIC); \
	return lk_forward(fcinfo, kind, LK_QTY_ONE); \
} \
PG_FUNCTION_INFO_V1(valuecheck_##name##_inv); \
Datum \
valuecheck_##name##_inv(PG_FUNCTION_ARGS) \
{ \
	return lk_inverse(fcinfo, kind, \
					  PG_NARGS() > 3 ? LK_QTY_NUMERIC : LK_QTY_ONE); \
} \
LK_INT_ENTRY_POINTS(name, kind, int2, LK_QTY_INT2) \
LK_INT_ENTRY_POINTS(name, kind, int4, LK_QTY_INT4) \
LK_INT_ENTRY_POINTS(name, kind, int8, LK_QTY_INT8)

#define LK_INT_ENTRY_POINTS(name, kind, type, qk) \
PG_FUNCTION_INFO_V1(valuecheck_##name##_trans_##type); \
Datum \
valuecheck_##name##_trans_##type(PG_FUNCTION_ARGS) \
{ \
	return lk_forward(fcinfo, kind, qk); \
} \
PG_FUNCTION_INFO_V1(valuecheck_##name##_inv_##type); \
Datum \
valuecheck_##name##_inv_##type(PG_FUNCTION_ARGS) \
{ \
	return lk_inverse(fcinfo, kind, qk); \
}

LK_ENTRY_POINTS(discount_leakage, LK_DISCOUNT)
LK_ENTRY_POINTS(floor_leakage, LK_FLOOR)
LK_ENTRY_POINTS(leakage, LK_LEAKAGE)

/* ----------------------------------------------------------------------
 * Combine: adds the second state into the first (in place as an
 * aggregate).  Not strict: with the first state NULL it returns a copy of
 * the second, which the executor moves into the aggregate context.
 * ----------------------------------------------------------------------
 */
Datum
valuecheck_leakage_state_combine(PG_FUNCTION_ARGS)
{
	LkState    *a;
	LkState    *b;
	LkWork		w;
	LkWork		wb;
	int			i;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = lk_state_ro(PG_GETARG_DATUM(1), 0);
	if (PG_ARGISNULL(0))
	{
		a = (LkState *) palloc(VARSIZE(b));
		memcpy(a, b, VARSIZE(b));
		PG_RETURN_POINTER(a);
	}
	a = lk_state_arg(PG_GETARG_DATUM(0), 0,
					 AggCheckCallContext(fcinfo, NULL) != 0);
	if (a->kind != b->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine a valuecheck.leakage_state of %s with one of %s",
						lk_kind_name(a->kind), lk_kind_name(b->kind))));

	lk_work_begin(&w, a);
	lk_work_begin(&wb, b);
	lk_work_load(&w);
	lk_work_load(&wb);
	a->lines = lk_add_count(a->lines, b->lines);
	a->discounted = lk_add_count(a->discounted, b->discounted);
	a->below = lk_add_count(a->below, b->below);
	for (i = 0; i < LK_NSUMS; i++)
		lk_sum_combine(&w, &wb, i);
	lk_rate_combine(&w, &wb);
	PG_RETURN_POINTER(lk_work_finish(&w));
}

/* ----------------------------------------------------------------------
 * Final functions (read-only: the state may be shared, and in a window it
 * goes on being used)
 * ----------------------------------------------------------------------
 */
Datum
valuecheck_discount_leakage_final(PG_FUNCTION_ARGS)
{
	LkState    *st = lk_state_ro(PG_GETARG_DATUM(0), LK_DISCOUNT);

	if (st->lines <= 0)
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(lk_sum_result(st, LK_DISC));
}

/* the floor leakage: 0 when no row is below its floor */
static Numeric
lk_floor_result(const LkState *st)
{
	if (st->below <= 0)
		return lk_num_int(0);
	return lk_sum_result(st, LK_FLOORSUM);
}

Datum
valuecheck_floor_leakage_final(PG_FUNCTION_ARGS)
{
	LkState    *st = lk_state_ro(PG_GETARG_DATUM(0), LK_FLOOR);

	if (st->lines <= 0)
		PG_RETURN_NULL();
	PG_RETURN_NUMERIC(lk_floor_result(st));
}

enum
{
	LKS_LINES = 0,
	LKS_UNITS,
	LKS_LIST_REVENUE,
	LKS_NET_REVENUE,
	LKS_DISCOUNT,
	LKS_DISCOUNT_RATE,
	LKS_DISCOUNTED_LINES,
	LKS_MAX_DISCOUNT_RATE,
	LKS_BELOW_FLOOR_LINES,
	LKS_FLOOR_LEAKAGE,
	LKS_NATTS
};

Datum
valuecheck_leakage_final(PG_FUNCTION_ARGS)
{
	LkState    *st = lk_state_ro(PG_GETARG_DATUM(0), LK_LEAKAGE);
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	Datum		values[LKS_NATTS];
	bool		nulls[LKS_NATTS];
	Numeric		list_revenue;
	Numeric		net_revenue;
	Numeric		discount;
	Numeric		max_rate;

	if (st->lines <= 0)
		PG_RETURN_NULL();

	if (tupdesc == NULL)
	{
		TupleDesc	td;
		MemoryContext oldcxt;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "valuecheck.leakage_final must return a composite type");
		if (td->natts != LKS_NATTS)
			elog(ERROR, "valuecheck.leakage_summary has %d attributes, expected %d",
				 td->natts, LKS_NATTS);
		oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		tupdesc = CreateTupleDescCopy(td);
		BlessTupleDesc(tupdesc);
		MemoryContextSwitchTo(oldcxt);
		fcinfo->flinfo->fn_extra = tupdesc;
	}

	memset(nulls, 0, sizeof(nulls));
	list_revenue = lk_sum_result(st, LK_LIST);
	net_revenue = lk_sum_result(st, LK_NET);
	discount = lk_num_sub(list_revenue, net_revenue);

	values[LKS_LINES] = Int64GetDatum(st->lines);
	values[LKS_UNITS] = NumericGetDatum(lk_sum_result(st, LK_UNITS));
	values[LKS_LIST_REVENUE] = NumericGetDatum(list_revenue);
	values[LKS_NET_REVENUE] = NumericGetDatum(net_revenue);
	values[LKS_DISCOUNT] = NumericGetDatum(discount);
	/* discount / list_revenue, NULL when list_revenue = 0 (NaN is not 0) */
	if (lk_num_cmp(list_revenue, lk_num_int(0)) == 0)
		nulls[LKS_DISCOUNT_RATE] = true;
	else
		values[LKS_DISCOUNT_RATE] = NumericGetDatum(lk_num_div(discount, list_revenue));
	values[LKS_DISCOUNTED_LINES] = Int64GetDatum(st->discounted);
	max_rate = lk_rate_result(st);
	if (max_rate == NULL)
		nulls[LKS_MAX_DISCOUNT_RATE] = true;
	else
		values[LKS_MAX_DISCOUNT_RATE] = NumericGetDatum(max_rate);
	values[LKS_BELOW_FLOOR_LINES] = Int64GetDatum(st->below);
	values[LKS_FLOOR_LEAKAGE] = NumericGetDatum(lk_floor_result(st));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
