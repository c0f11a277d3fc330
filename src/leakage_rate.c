/*
 * leakage_rate.c
 *		The maximum discount rate of a leakage state: candidates that are
 *		not both fast, taking rows out, combining, the result (see
 *		leakage_rate.h).
 */
#include "postgres.h"

#include "leakage_rate.h"

static Numeric
lk_rate_l(const LkRate *x)
{
	return x->kind == LK_RATE_NUM ? x->nl : lk_acc_to_numeric(x->l, x->ld);
}

static Numeric
lk_rate_p(const LkRate *x)
{
	return x->kind == LK_RATE_NUM ? x->np : lk_acc_to_numeric(x->p, x->pd);
}

/* the state's maximum as a candidate (kind NONE if none) */
static void
lk_best_rate(LkWork *w, LkRate *b)
{
	const LkState *st = w->st;

	b->special = LK_FINITE;
	switch (st->best_kind)
	{
		case LK_BEST_FAST:
			b->kind = LK_RATE_FAST;
			b->l = st->best_l;
			b->p = st->best_p;
			b->ld = st->best_ld;
			b->pd = st->best_pd;
			break;
		case LK_BEST_NUM:
			lk_work_load(w);
			b->kind = LK_RATE_NUM;
			b->nl = w->best_l;
			b->np = w->best_p;
			break;
		default:
			b->kind = LK_RATE_NONE;
	}
}

/* sign of rate(x) - rate(y), both finite candidates (list price > 0) */
static int
lk_rate_cmp(const LkRate *x, const LkRate *y)
{
	if (x->kind == LK_RATE_FAST && y->kind == LK_RATE_FAST)
		return lk_rate_cmp_fast(x->l, x->p, x->ld, x->pd, y->l, y->p, y->ld, y->pd);
	/* (lx - px) / lx > (ly - py) / ly  <=>  px * ly < py * lx */
	return -lk_num_cmp(lk_num_mul(lk_rate_p(x), lk_rate_l(y)),
					   lk_num_mul(lk_rate_p(y), lk_rate_l(x)));
}

/* make finite candidate x the maximum */
static void
lk_best_take(LkWork *w, const LkRate *x)
{
	LkState    *st = w->st;

	lk_work_load(w);
	if (x->kind == LK_RATE_FAST)
	{
		if (st->best_kind == LK_BEST_NUM)
		{
			w->best_l = w->best_p = NULL;
			w->dirty = true;
		}
		lk_best_take_fast(st, x);
	}
	else
	{
		st->best_kind = LK_BEST_NUM;
		st->best_l = st->best_p = 0;
		st->best_ld = st->best_pd = 0;
		w->best_l = x->nl;
		w->best_p = x->np;
		w->dirty = true;
	}
}

/* count a NaN or infinite rate in (sign +1) or out (sign -1) */
static void
lk_rate_count_special(LkState *st, int special, int sign)
{
	if (special == LK_PINF)
		st->rate_pinf += sign;
	else if (special == LK_NINF)
		st->rate_ninf += sign;
	else
		st->rate_nan += sign;
}

/* lk_rate_add() for every candidate */
pg_noinline void
lk_rate_add_any(LkWork *w, const LkRate *x)
{
	LkRate		best;

	switch (x->kind)
	{
		case LK_RATE_NONE:
			return;
		case LK_RATE_SPECIAL:
			lk_rate_count_special(w->st, x->special, 1);
			return;
	}
	lk_best_rate(w, &best);
	if (best.kind == LK_RATE_NONE || lk_rate_cmp(x, &best) > 0)
		lk_best_take(w, x);
}

/*
 * Can the inverse transition take a row with candidate x out?  Not the
 * maximum, nor a tie with it: the window frame then starts over.
 */
bool
lk_rate_removable(LkWork *w, const LkRate *x)
{
	const LkState *st = w->st;
	LkRate		best;

	switch (x->kind)
	{
		case LK_RATE_NONE:
			return true;
		case LK_RATE_SPECIAL:
			if (x->special == LK_PINF)
				return st->rate_pinf > 0;
			if (x->special == LK_NINF)
				return st->rate_ninf > 0;
			return st->rate_nan > 0;
	}
	lk_best_rate(w, &best);
	return best.kind != LK_RATE_NONE && lk_rate_cmp(x, &best) < 0;
}

/*
 * Take out a row with candidate x (lk_rate_removable() said yes): a finite
 * rate below the maximum leaves the maximum as it is.
 */
void
lk_rate_remove(LkState *st, const LkRate *x)
{
	if (x->kind == LK_RATE_SPECIAL)
		lk_rate_count_special(st, x->special, -1);
}

/* add the rates of wb's state into w's */
void
lk_rate_combine(LkWork *w, LkWork *wb)
{
	LkState    *a = w->st;
	const LkState *b = wb->st;
	LkRate		bbest;

	a->rate_nan = lk_add_count(a->rate_nan, b->rate_nan);
	a->rate_pinf = lk_add_count(a->rate_pinf, b->rate_pinf);
	a->rate_ninf = lk_add_count(a->rate_ninf, b->rate_ninf);
	lk_best_rate(wb, &bbest);
	lk_rate_add_any(w, &bbest);
}

/* set the maximum's list price l > 0 and price p, both finite (text/binary input) */
void
lk_best_set(LkWork *w, Numeric l, Numeric p)
{
	LkNum		nl;
	LkNum		np;
	LkRate		x;

	lk_num_read_any(NumericGetDatum(l), &nl);
	lk_num_read_any(NumericGetDatum(p), &np);
	if (nl.fits && np.fits)
		lk_rate_fast(&x, &nl, &np);
	else
	{
		memset(&x, 0, sizeof(x));
		x.kind = LK_RATE_NUM;
		x.nl = l;
		x.np = p;
	}
	lk_best_take(w, &x);
}

/* the state's maximum's list price and price as numerics (NULL if none) */
void
lk_best_values(const LkState *st, Numeric *l, Numeric *p)
{
	switch (st->best_kind)
	{
		case LK_BEST_FAST:
			*l = lk_acc_to_numeric(st->best_l, st->best_ld);
			*p = lk_acc_to_numeric(st->best_p, st->best_pd);
			break;
		case LK_BEST_NUM:
			*l = lk_tail(st, st->best_loff);
			*p = lk_tail(st, st->best_poff);
			break;
		default:
			*l = *p = NULL;
	}
}

/* max((list - price) / list) over rows with list > 0, ordered as max() does */
Numeric
lk_rate_result(const LkState *st)
{
	Numeric		l;
	Numeric		p;

	if (st->rate_nan > 0)
		return lk_special_numeric(LK_NAN);
	if (st->rate_pinf > 0)
		return lk_special_numeric(LK_PINF);
	lk_best_values(st, &l, &p);
	if (l != NULL)
		return lk_num_div(lk_num_sub(l, p), l);
	if (st->rate_ninf > 0)
		return lk_special_numeric(LK_NINF);
	return NULL;
}
