/*
 * leakage_sum.c
 *		The exact sums of a leakage state: what does not fit the integer
 *		accumulator, taking values out, combining two sums, and the result
 *		(see leakage_sum.h).
 */
#include "postgres.h"

#include "leakage_sum.h"

/* a value computed by numeric.c (the slow path), as a sum receives it */
void
lk_val_numeric(LkVal *x, Numeric n)
{
	LkRaw		r;

	if (!lk_raw_of(n, &r))
		elog(ERROR, "valuecheck: unreadable numeric value");
	x->present = true;
	x->special = r.special;
	x->is_num = false;
	x->d = r.dscale;
	x->num = n;
	if (r.special != LK_FINITE)
		return;
	if (!lk_raw_to_acc(&r, &x->v))
		x->is_num = true;
}

/* add x to the Numeric part of sum idx */
void
lk_ovf_add(LkWork *w, int idx, Numeric x)
{
	lk_work_load(w);
	w->ovf[idx] = w->ovf[idx] ? lk_num_add(w->ovf[idx], x) : x;
	w->dirty = true;
}

/* lk_add_acc() where the scales differ or the integer part would overflow */
pg_noinline void
lk_add_acc_slow(LkWork *w, int idx, lk_acc v, int d)
{
	LkSum	   *s = &w->st->sums[idx];
	lk_acc		orig = v;
	lk_acc		r;

	if (d < s->scale)
	{
		if (!lk_scale_up(&v, s->scale - d))
		{
			lk_ovf_add(w, idx, lk_acc_to_numeric(orig, d));
			return;
		}
	}
	else if (d > s->scale)
	{
		lk_acc		f = s->fast;

		if (d > LK_MAX_SCALE)
		{
			lk_ovf_add(w, idx, lk_acc_to_numeric(orig, d));
			return;
		}
		if (!lk_scale_up(&f, d - s->scale))
		{
			/* the fast part moves to the Numeric */
			lk_ovf_add(w, idx, lk_acc_to_numeric(s->fast, s->scale));
			f = 0;
		}
		s->fast = f;
		s->scale = d;
	}
	r = s->fast + v;
	if (r >= LK_ACC_LIMIT || r <= -LK_ACC_LIMIT)
	{
		/* the fast part moves to the Numeric; the new value starts afresh */
		lk_ovf_add(w, idx, lk_acc_to_numeric(s->fast, s->scale));
		r = v;
	}
	s->fast = r;
}

/* sum idx has no finite value left: its exact value is zero */
void
lk_sum_clear(LkWork *w, int idx)
{
	LkSum	   *s = &w->st->sums[idx];

	s->fast = 0;
	s->scale = 0;
	s->maxd = 0;
	s->maxd_count = 0;
	lk_work_load(w);
	if (w->ovf[idx])
	{
		w->ovf[idx] = NULL;
		w->dirty = true;
	}
}

/*
 * Can x be taken out of the sum?  Not when it is the last input of the
 * largest display scale (numeric.c's do_numeric_discard gives up there too:
 * the new largest scale is unknown).
 */
bool
lk_sum_removable(const LkSum *s, const LkVal *x)
{
	if (!x->present)
		return true;
	switch (x->special)
	{
		case LK_NAN:
			return s->nan > 0;
		case LK_PINF:
			return s->pinf > 0;
		case LK_NINF:
			return s->ninf > 0;
	}
	if (s->nfinite <= 0 || x->d > s->maxd)
		return false;
	if (x->d == s->maxd && !(s->maxd_count > 1 || s->maxd == 0) &&
		s->nfinite != 1)
		return false;
	return true;
}

/* add sum idx of wb's state into w's (both loaded) */
void
lk_sum_combine(LkWork *w, LkWork *wb, int idx)
{
	LkSum	   *sa = &w->st->sums[idx];
	const LkSum *sb = &wb->st->sums[idx];

	sa->nan = lk_add_count(sa->nan, sb->nan);
	sa->pinf = lk_add_count(sa->pinf, sb->pinf);
	sa->ninf = lk_add_count(sa->ninf, sb->ninf);
	if (sb->nfinite == 0)
		return;
	if (sa->nfinite == 0 || sb->maxd > sa->maxd)
	{
		sa->maxd = sb->maxd;
		sa->maxd_count = sb->maxd_count;
	}
	else if (sb->maxd == sa->maxd)
		sa->maxd_count = lk_add_count(sa->maxd_count, sb->maxd_count);
	sa->nfinite = lk_add_count(sa->nfinite, sb->nfinite);
	if (sb->fast != 0)
		lk_add_acc(w, idx, sb->fast, sb->scale);
	if (wb->ovf[idx])
		lk_ovf_add(w, idx, wb->ovf[idx]);
}

/*
 * The exact finite part of sum idx (integer part plus Numeric part) with
 * the display scale SQL's sum gives it.
 */
Numeric
lk_sum_value(const LkState *st, int idx)
{
	const LkSum *s = &st->sums[idx];
	Numeric		ovf = lk_tail(st, s->ovf);
	Numeric		r = lk_acc_to_numeric(s->fast, s->scale);

	if (ovf != NULL)
		r = lk_num_add(r, ovf);
	return lk_num_rescale(r, s->maxd);
}

/* the sum as sum(numeric) returns it: NaN/infinities first */
Numeric
lk_sum_result(const LkState *st, int idx)
{
	const LkSum *s = &st->sums[idx];

	if (s->nan > 0 || (s->pinf > 0 && s->ninf > 0))
		return lk_special_numeric(LK_NAN);
	if (s->pinf > 0)
		return lk_special_numeric(LK_PINF);
	if (s->ninf > 0)
		return lk_special_numeric(LK_NINF);
	return lk_sum_value(st, idx);
}

/* set the exact finite part of sum idx of an empty sum (text/binary input) */
void
lk_sum_set(LkWork *w, int idx, Numeric value)
{
	LkSum	   *s = &w->st->sums[idx];
	LkVal		x;

	lk_val_numeric(&x, value);
	Assert(x.special == LK_FINITE);
	lk_work_load(w);
	s->fast = 0;
	s->scale = 0;
	if (x.is_num)
	{
		w->ovf[idx] = value;
		w->dirty = true;
	}
	else
	{
		s->fast = x.v;
		s->scale = x.d;
	}
}
