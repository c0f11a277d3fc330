/*
 * leakage_sum.h
 *		The exact sums of a leakage state (leakage_sum.c; the per-row steps
 *		are inline here).
 *
 * Exact sums.  Each sum (units, list revenue, ...) is kept exactly as
 *
 *		fast * 10^-scale  +  ovf
 *
 * where fast is an integer accumulator (int128 where the compiler has it,
 * else int64) and ovf an optional Numeric for whatever does not fit: values
 * with too many digits or too large a scale, or a fast part that would pass
 * LK_ACC_LIMIT.  Nothing is ever rounded.  The fast path reads a numeric's
 * base-10000 digits directly and never pallocs; a row falls back to
 * PostgreSQL's own numeric functions only when one of its inputs does not
 * fit or is NaN/Infinity.
 *
 * Display scale.  SQL's sum(numeric) returns its result with the largest
 * display scale (dscale) of its inputs, and numeric division picks its
 * result scale from its operands' dscales.  So each sum tracks, like
 * numeric.c's NumericAggState, the largest dscale among its finite inputs
 * (maxd) and how many inputs have it (maxd_count); the inverse transition
 * gives up (forcing a restart of the window frame) exactly where numeric.c
 * does: when it would remove the last input of the largest dscale.
 *
 * NaN and infinities are counted apart (nan, pinf, ninf), as sum(numeric)
 * does: any NaN, or both infinities, makes the sum NaN; otherwise an
 * infinity wins.  A row with a NaN or infinite input has its products
 * computed by numeric_sub/numeric_mul/numeric_div themselves, so the value
 * each sum receives is exactly the one SQL computes.
 *
 * lk_sum_apply() is the one bookkeeping rule, numeric.c's do_numeric_accum
 * and do_numeric_discard in one: the forward transition's fast path is that
 * same function inlined with a finite value that fits and a sign of +1.
 */
#ifndef VALUECHECK_LEAKAGE_SUM_H
#define VALUECHECK_LEAKAGE_SUM_H

#include "leakage.h"

/* one value a row adds to a sum */
typedef struct LkVal
{
	bool		present;
	int			special;		/* LkSpecial */
	bool		is_num;			/* finite, too large for lk_acc: in num */
	int32		d;				/* dscale (finite) */
	lk_acc		v;				/* finite, !is_num: value * 10^d */
	Numeric		num;
} LkVal;

static inline void
lk_val_fast(LkVal *x, lk_acc v, int d)
{
	x->present = true;
	x->special = LK_FINITE;
	x->is_num = false;
	x->d = d;
	x->v = v;
}

extern void lk_val_numeric(LkVal *x, Numeric n);
extern void lk_ovf_add(LkWork *w, int idx, Numeric x);
extern void lk_add_acc_slow(LkWork *w, int idx, lk_acc v, int d);
extern void lk_sum_clear(LkWork *w, int idx);

/* add v * 10^-d (|v| < LK_ACC_LIMIT) to the integer part of sum idx */
static pg_attribute_always_inline void
lk_add_acc(LkWork *w, int idx, lk_acc v, int d)
{
	LkSum	   *s = &w->st->sums[idx];

	if (likely(d == s->scale))
	{
		lk_acc		r = s->fast + v;

		/* -LK_ACC_LIMIT < r < LK_ACC_LIMIT, in one unsigned comparison */
		if (likely((lk_uacc) r + (lk_uacc) (LK_ACC_LIMIT - 1) <
				   (lk_uacc) (LK_ACC_LIMIT - 1) * 2 + 1))
		{
			s->fast = r;
			return;
		}
	}
	lk_add_acc_slow(w, idx, v, d);
}

/*
 * Add x to sum idx (sign +1) or take it out (sign -1, once
 * lk_sum_removable() said yes): the counts, the largest display scale, the
 * value.
 */
static pg_attribute_always_inline void
lk_sum_apply(LkWork *w, int idx, const LkVal *x, int sign)
{
	LkSum	   *s = &w->st->sums[idx];

	if (!x->present)
		return;
	switch (x->special)
	{
		case LK_NAN:
			s->nan += sign;
			return;
		case LK_PINF:
			s->pinf += sign;
			return;
		case LK_NINF:
			s->ninf += sign;
			return;
	}
	if (sign > 0)
	{
		s->nfinite++;
		if (likely(x->d == s->maxd))
			s->maxd_count++;
		else if (x->d > s->maxd)
		{
			s->maxd = x->d;
			s->maxd_count = 1;
		}
	}
	else
	{
		if (x->d == s->maxd)
		{
			if (s->maxd_count > 1 || s->maxd == 0)
				s->maxd_count--;
			else
			{
				s->maxd = 0;
				s->maxd_count = 0;
			}
		}
		if (--s->nfinite == 0)
		{
			/* nothing finite left: the exact sum is zero */
			lk_sum_clear(w, idx);
			return;
		}
	}
	if (x->is_num)
		lk_ovf_add(w, idx, sign > 0 ? x->num : lk_num_neg(x->num));
	else
		lk_add_acc(w, idx, sign > 0 ? x->v : -x->v, x->d);
}

extern bool lk_sum_removable(const LkSum *s, const LkVal *x);
extern void lk_sum_combine(LkWork *w, LkWork *wb, int idx);
extern Numeric lk_sum_value(const LkState *st, int idx);
extern Numeric lk_sum_result(const LkState *st, int idx);
extern void lk_sum_set(LkWork *w, int idx, Numeric value);

#endif							/* VALUECHECK_LEAKAGE_SUM_H */
