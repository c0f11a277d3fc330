/*
 * leakage_state.c
 *		The varlena of valuecheck.leakage_state, laid out in leakage.h:
 *		making, checking and updating it (its text and binary forms are in
 *		leakage_state_io.c).
 */
#include "postgres.h"

#include "common/int.h"
#include "utils/memutils.h"

#include "leakage.h"

const char *
lk_kind_name(int kind)
{
	switch (kind)
	{
		case LK_DISCOUNT:
			return "discount_leakage";
		case LK_FLOOR:
			return "floor_leakage";
		case LK_LEAKAGE:
			return "leakage";
	}
	return "?";
}

bool
lk_kind_has_sum(int kind, int idx)
{
	switch (kind)
	{
		case LK_DISCOUNT:
			return idx == LK_DISC;
		case LK_FLOOR:
			return idx == LK_FLOORSUM;
		case LK_LEAKAGE:
			return idx == LK_UNITS || idx == LK_LIST || idx == LK_NET ||
				idx == LK_FLOORSUM;
	}
	return false;
}

/* an empty state, in the current (short-lived) memory context */
LkState *
lk_new_state(int kind)
{
	LkState    *st = (LkState *) palloc0(LK_FIXED_SIZE);

	SET_VARSIZE(st, LK_FIXED_SIZE);
	st->kind = (uint8) kind;
	st->best_kind = LK_BEST_NONE;
	return st;
}

/* structural check of a state this library built (cheap: once per call) */
static void
lk_check_state(const LkState *st, int kind)
{
	if (VARSIZE(st) < LK_FIXED_SIZE ||
		st->kind < LK_DISCOUNT || st->kind > LK_LEAKAGE)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupted valuecheck.leakage_state value")));
	if (kind != 0 && st->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a valuecheck.leakage_state of %s cannot be used by %s",
						lk_kind_name(st->kind), lk_kind_name(kind))));
}

/* a state argument, read-only */
LkState *
lk_state_ro(Datum d, int kind)
{
	LkState    *st = (LkState *) PG_DETOAST_DATUM(d);

	lk_check_state(st, kind);
	return st;
}

/*
 * A state argument to update: the argument itself when called as an
 * aggregate (the executor owns it and expects in-place updates to be
 * possible, as for float8_accum), else a copy.
 */
LkState *
lk_state_arg(Datum d, int kind, bool in_place)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(d);
	LkState    *st = (LkState *) PG_DETOAST_DATUM(d);

	lk_check_state(st, kind);
	if (!in_place && (struct varlena *) st == raw)
	{
		LkState    *copy = (LkState *) palloc(VARSIZE(st));

		memcpy(copy, st, VARSIZE(st));
		st = copy;
	}
	return st;
}

/* the Numeric at offset off of the state's tail (NULL for offset 0) */
Numeric
lk_tail(const LkState *st, uint32 off)
{
	Numeric		n;

	if (off == 0)
		return NULL;
	if (off < LK_FIXED_SIZE || off > VARSIZE(st) - VARHDRSZ ||
		VARSIZE(LK_TAIL_NUMERIC(st, off)) > VARSIZE(st) - off ||
		VARSIZE(LK_TAIL_NUMERIC(st, off)) < VARHDRSZ + sizeof(uint16))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupted valuecheck.leakage_state value")));
	n = LK_TAIL_NUMERIC(st, off);
	return n;
}

/* point w at the Numerics of the state's tail (before they are used or replaced) */
void
lk_work_load(LkWork *w)
{
	LkState    *st = w->st;
	int			i;

	if (w->loaded)
		return;
	for (i = 0; i < LK_NSUMS; i++)
		w->ovf[i] = lk_tail(st, st->sums[i].ovf);
	if (st->best_kind == LK_BEST_NUM)
	{
		w->best_l = lk_tail(st, st->best_loff);
		w->best_p = lk_tail(st, st->best_poff);
	}
	else
		w->best_l = w->best_p = NULL;
	w->loaded = true;
}

static uint32
lk_place(char *base, uint32 *off, Numeric n)
{
	uint32		at = *off;

	if (n == NULL)
		return 0;
	memcpy(base + at, n, VARSIZE(n));
	*off = at + MAXALIGN(VARSIZE(n));
	return at;
}

/*
 * The updated state: the same varlena when only its fixed part changed,
 * else a new one in the current memory context (the executor copies a new
 * transition value into the aggregate context and frees the old one).
 */
LkState *
lk_work_finish(LkWork *w)
{
	Size		size = LK_FIXED_SIZE;
	LkState    *nst;
	uint32		off;
	int			i;

	if (!w->dirty)
		return w->st;
	Assert(w->loaded);
	for (i = 0; i < LK_NSUMS; i++)
		if (w->ovf[i])
			size += MAXALIGN(VARSIZE(w->ovf[i]));
	if (w->st->best_kind == LK_BEST_NUM)
		size += MAXALIGN(VARSIZE(w->best_l)) + MAXALIGN(VARSIZE(w->best_p));
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("valuecheck.leakage_state would be too large")));

	nst = (LkState *) palloc0(size);
	memcpy(nst, w->st, sizeof(LkState));
	SET_VARSIZE(nst, size);
	off = LK_FIXED_SIZE;
	for (i = 0; i < LK_NSUMS; i++)
		nst->sums[i].ovf = lk_place((char *) nst, &off, w->ovf[i]);
	if (nst->best_kind == LK_BEST_NUM)
	{
		nst->best_loff = lk_place((char *) nst, &off, w->best_l);
		nst->best_poff = lk_place((char *) nst, &off, w->best_p);
	}
	else
		nst->best_loff = nst->best_poff = 0;
	Assert(off == size);
	w->st = nst;
	w->dirty = false;
	return nst;
}

/* the counters: see lk_count_line() */
void
lk_counter_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("valuecheck.leakage_state counter out of range")));
}

int64
lk_add_count(int64 a, int64 b)
{
	int64		r;

	if (pg_add_s64_overflow(a, b, &r))
		lk_counter_overflow();
	return r;
}
