/*
 * leakage.h
 *		The transition state of the discount-leakage aggregates
 *		(valuecheck.leakage_state): its layout, made and checked in
 *		leakage_state.c, read and written as text and binary in
 *		leakage_state_io.c, and updated by the exact sums (leakage_sum.h),
 *		the maximum discount rate (leakage_rate.h) and the aggregate support
 *		functions (leakage_agg.c).
 *
 * One state type serves discount_leakage, floor_leakage and leakage; the
 * kind byte says which aggregate built it, and each function refuses a state
 * of another kind.
 *
 * Varlena layout: the fixed LkState, then MAXALIGNed Numerics (with 4-byte
 * headers) that the offsets in it point to.  A transition called as an
 * aggregate updates the fixed part in place; only when a Numeric in the tail
 * changes is a new state built (in the caller's short-lived memory; the
 * executor copies it into the aggregate context and frees the old one).
 */
#ifndef VALUECHECK_LEAKAGE_H
#define VALUECHECK_LEAKAGE_H

#include "postgres.h"

#include "leakage_numeric.h"

/* which aggregate a state belongs to */
typedef enum LkKind
{
	LK_DISCOUNT = 1,			/* discount_leakage */
	LK_FLOOR = 2,				/* floor_leakage */
	LK_LEAKAGE = 3				/* leakage */
} LkKind;

/* the sums a state may hold */
typedef enum LkSumId
{
	LK_UNITS = 0,				/* sum(quantity) */
	LK_LIST,					/* sum(list_price * quantity) */
	LK_NET,						/* sum(price * quantity) */
	LK_FLOORSUM,				/* sum((floor - price) * quantity), below-floor rows */
	LK_DISC,					/* sum((list_price - price) * quantity) */
	LK_NSUMS
} LkSumId;

/* the maximum discount rate's candidate */
typedef enum LkBestKind
{
	LK_BEST_NONE = 0,
	LK_BEST_FAST,				/* best_l, best_p: mantissas at best_ld, best_pd */
	LK_BEST_NUM					/* Numerics at best_loff, best_poff */
} LkBestKind;

typedef struct LkSum
{
	lk_acc		fast;			/* sum of the values that fit, times 10^scale */
	int64		nfinite;		/* finite values summed */
	int64		maxd_count;		/* finite values whose dscale is maxd */
	int64		nan;			/* NaN values */
	int64		pinf;			/* +Infinity values */
	int64		ninf;			/* -Infinity values */
	int32		scale;			/* scale of fast, 0..LK_MAX_SCALE */
	int32		maxd;			/* largest dscale of the finite values */
	uint32		ovf;			/* offset of a Numeric holding the rest; 0 = none */
	int32		unused;
} LkSum;

typedef struct LkState
{
	int32		vl_len_;		/* varlena header */
	uint8		kind;			/* LkKind */
	uint8		best_kind;		/* LkBestKind */
	uint16		unused;
	int64		lines;			/* aggregated rows */
	int64		discounted;		/* rows with price < list_price */
	int64		below;			/* rows with price < floor */
	int64		rate_nan;		/* rows whose discount rate is NaN */
	int64		rate_pinf;		/* ... +Infinity */
	int64		rate_ninf;		/* ... -Infinity */
	int64		best_l;			/* LK_BEST_FAST: list price mantissa */
	int64		best_p;			/* LK_BEST_FAST: price mantissa */
	int32		best_ld;		/* dscale of best_l */
	int32		best_pd;		/* dscale of best_p */
	uint32		best_loff;		/* LK_BEST_NUM: offset of the list price */
	uint32		best_poff;		/* LK_BEST_NUM: offset of the price */
	LkSum		sums[LK_NSUMS];
	/* MAXALIGNed Numerics follow */
} LkState;

#define LK_FIXED_SIZE	MAXALIGN(sizeof(LkState))
#define LK_TAIL_NUMERIC(st, off)	((Numeric) ((char *) (st) + (off)))

/*
 * A state being updated: the fixed part (possibly in place) and the
 * Numerics of the tail, which may be replaced; lk_work_finish() builds a new
 * varlena when one was.
 */
typedef struct LkWork
{
	LkState    *st;
	Numeric		ovf[LK_NSUMS];
	Numeric		best_l;
	Numeric		best_p;
	bool		loaded;			/* the Numerics above are set */
	bool		dirty;			/* one of them was replaced */
} LkWork;

static inline void
lk_work_begin(LkWork *w, LkState *st)
{
	w->st = st;
	w->dirty = false;
	w->loaded = false;
}

/*
 * Count a row.  Every other counter of a state is bounded by "lines" (the
 * state's input functions check that), so counting lines with a check is
 * enough to keep every state readable back.
 */
pg_noreturn extern void lk_counter_overflow(void);

static pg_attribute_always_inline void
lk_count_line(LkState *st)
{
	if (unlikely(st->lines == PG_INT64_MAX))
		lk_counter_overflow();
	st->lines++;
}

/* leakage_state.c */
extern const char *lk_kind_name(int kind);
extern bool lk_kind_has_sum(int kind, int idx);
extern LkState *lk_new_state(int kind);
extern LkState *lk_state_ro(Datum d, int kind);
extern LkState *lk_state_arg(Datum d, int kind, bool in_place);
extern Numeric lk_tail(const LkState *st, uint32 off);
extern void lk_work_load(LkWork *w);
extern LkState *lk_work_finish(LkWork *w);
extern int64 lk_add_count(int64 a, int64 b);

#endif							/* VALUECHECK_LEAKAGE_H */
