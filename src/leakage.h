/*
 * leakage.h
 *		The transition state of the discount-leakage aggregates
 *		(valuecheck.leakage_state) and the arithmetic shared by its I/O
 *		functions (leakage_state.c) and the aggregate support functions
 *		(leakage_agg.c).
 *
 * One state type serves discount_leakage, floor_leakage and leakage; the
 * kind byte says which aggregate built it, and each function refuses a state
 * of another kind.
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
 * Varlena layout: the fixed LkState, then MAXALIGNed Numerics (with 4-byte
 * headers) that the offsets in it point to.  A transition called as an
 * aggregate updates the fixed part in place; only when a Numeric in the tail
 * changes is a new state built (in the caller's short-lived memory; the
 * executor copies it into the aggregate context and frees the old one).
 */
#ifndef VALUECHECK_LEAKAGE_H
#define VALUECHECK_LEAKAGE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/numeric.h"

#include "compat.h"

/*
 * The integer accumulator.  Build with -DVALUECHECK_NO_INT128 to test the
 * portable int64 variant on a machine that has int128.
 *
 * LK_MANT_DIGITS bounds the fast path: an input takes it when its dscale is
 * at most LK_MANT_DIGITS and its value times 10^dscale has at most that many
 * digits, so a product of two inputs has at most 2 * LK_MANT_DIGITS digits
 * and a scale of at most 2 * LK_MANT_DIGITS (LK_MAX_SCALE), and fits
 * LK_ACC_LIMIT.
 */
#if defined(HAVE_INT128) && !defined(VALUECHECK_NO_INT128)
typedef int128 lk_acc;
#define LK_MANT_DIGITS	18
#define LK_MAX_GROUPS	4		/* base-10000 digits read in the fast path */
#else
typedef int64 lk_acc;
#define LK_MANT_DIGITS	9
#define LK_MAX_GROUPS	3
#endif

#define LK_ACC_BITS		((int) (sizeof(lk_acc) * 8))
/* |fast| < LK_ACC_LIMIT always, so adding two such never overflows */
#define LK_ACC_LIMIT	(((lk_acc) 1) << (LK_ACC_BITS - 2))
#define LK_MAX_SCALE	(2 * LK_MANT_DIGITS)

/* largest dscale a numeric can carry (NUMERIC_DSCALE_MAX in numeric.c) */
#define LK_DSCALE_MAX	0x3FFF

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

/* leakage_agg.c */
extern const char *lk_kind_name(int kind);
extern LkState *lk_new_state(int kind);
extern LkState *lk_state_ro(Datum d, int kind);
extern LkState *lk_state_arg(Datum d, int kind, bool in_place);
extern void lk_work_begin(LkWork *w, LkState *st);
extern void lk_work_load(LkWork *w);
extern LkState *lk_work_finish(LkWork *w);
extern void lk_sum_set(LkWork *w, int idx, Numeric value);
extern void lk_best_set(LkWork *w, Numeric l, Numeric p);
extern Numeric lk_sum_value(const LkState *st, int idx);
extern void lk_best_values(const LkState *st, Numeric *l, Numeric *p);
extern bool lk_kind_has_sum(int kind, int idx);

#endif							/* VALUECHECK_LEAKAGE_H */
