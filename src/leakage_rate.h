/*
 * leakage_rate.h
 *		The maximum discount rate of a leakage state (leakage_rate.c; the
 *		per-row step is inline here).
 *
 * max_discount_rate is max((list - price) / list) over rows with list > 0.
 * The state keeps the winning row's list price and price (with their
 * dscales) and compares candidates exactly by cross multiplication:
 * (l1 - p1) / l1 > (l2 - p2) / l2  <=>  p1 * l2 < p2 * l1  (l1, l2 > 0).
 * Rates that are NaN or infinite (an infinite or NaN input) are counted
 * apart; the final function orders them as SQL's max does: NaN above
 * +Infinity above every number above -Infinity.  The maximum cannot be
 * un-aggregated, so the inverse transition gives up (the window frame is
 * then recomputed) when the row leaving is, or ties with, the maximum.
 *
 * SQL's max() compares the quotients after numeric_div has rounded each to
 * its own result scale (at least 16 significant digits, more when an
 * operand has a larger dscale).  Rows whose rates agree to that precision
 * are then ties in SQL, and the spec lets the result show any of their
 * digit strings; this keeps the exactly largest, whose quotient is one of
 * them.  (Only rates equal in their first 16 or more significant digits and
 * divided at different scales can round in opposite order.)
 */
#ifndef VALUECHECK_LEAKAGE_RATE_H
#define VALUECHECK_LEAKAGE_RATE_H

#include "leakage.h"

/* a row's discount rate, as a candidate for the maximum */
typedef enum LkRateKind
{
	LK_RATE_NONE = 0,			/* not a candidate (list price not > 0) */
	LK_RATE_SPECIAL,			/* NaN or infinite rate: special */
	LK_RATE_FAST,				/* l, p mantissas */
	LK_RATE_NUM					/* nl, np */
} LkRateKind;

typedef struct LkRate
{
	int			kind;
	int			special;
	int64		l;
	int64		p;
	int32		ld;
	int32		pd;
	Numeric		nl;
	Numeric		np;
} LkRate;

/* the candidate of fast-path inputs l > 0 and p */
static inline void
lk_rate_fast(LkRate *x, const LkNum *l, const LkNum *p)
{
	x->kind = LK_RATE_FAST;
	x->special = LK_FINITE;
	x->l = l->m;
	x->p = p->m;
	x->ld = l->d;
	x->pd = p->d;
}

/* sign of rate(x) - rate(y), both fast (list prices > 0) */
static inline int
lk_rate_cmp_fast(int64 xl, int64 xp, int xld, int xpd,
				 int64 yl, int64 yp, int yld, int ypd)
{
	/* (xl - xp) / xl > (yl - yp) / yl  <=>  xp * yl < yp * xl */
	return -lk_cmp_scaled((lk_acc) xp * yl, xpd + yld,
						  (lk_acc) yp * xl, ypd + xld);
}

/* make fast candidate x the maximum (the state's maximum is not a Numeric) */
static inline void
lk_best_take_fast(LkState *st, const LkRate *x)
{
	st->best_kind = LK_BEST_FAST;
	st->best_l = x->l;
	st->best_p = x->p;
	st->best_ld = x->ld;
	st->best_pd = x->pd;
}

extern void lk_rate_add_any(LkWork *w, const LkRate *x);

/*
 * Add a row's candidate.  The common case, a fast candidate against a fast
 * maximum, is decided here; every other goes to lk_rate_add_any().
 */
static pg_attribute_always_inline void
lk_rate_add(LkWork *w, const LkRate *x)
{
	LkState    *st = w->st;

	if (likely(x->kind == LK_RATE_FAST && st->best_kind == LK_BEST_FAST))
	{
		if (lk_rate_cmp_fast(x->l, x->p, x->ld, x->pd,
							 st->best_l, st->best_p, st->best_ld, st->best_pd) > 0)
			lk_best_take_fast(st, x);
		return;
	}
	lk_rate_add_any(w, x);
}

extern bool lk_rate_removable(LkWork *w, const LkRate *x);
extern void lk_rate_remove(LkState *st, const LkRate *x);
extern void lk_rate_combine(LkWork *w, LkWork *wb);
extern void lk_best_set(LkWork *w, Numeric l, Numeric p);
extern void lk_best_values(const LkState *st, Numeric *l, Numeric *p);
extern Numeric lk_rate_result(const LkState *st);

#endif							/* VALUECHECK_LEAKAGE_RATE_H */
