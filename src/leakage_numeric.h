/*
 * leakage_numeric.h
 *		Numerics as the discount-leakage aggregates see them: the integer
 *		accumulator of the exact sums, the one decoder of numeric's on-disk
 *		format, and the numeric helpers of the slow path and the final
 *		functions (leakage_numeric.c).
 *
 * numeric.h does not export the on-disk format, which PostgreSQL 13 to 17
 * share (numeric.c, "struct NumericData"): a uint16 header word, then (long
 * format only) an int16 weight, then base-10000 digits.  The header's two
 * top bits: 00 positive long, 01 negative long, 10 short, 11 special (NaN;
 * from 14 on also +/-Infinity, told apart by the next two bits).  Only
 * lk_raw_decode() reads that header, and only leakage_numeric.c writes one;
 * everything else, NaN and infinities included, goes by the LkRaw they give.
 */
#ifndef VALUECHECK_LEAKAGE_NUMERIC_H
#define VALUECHECK_LEAKAGE_NUMERIC_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/fmgrprotos.h"
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
typedef uint128 lk_uacc;
#define LK_MANT_DIGITS	18
#define LK_MANT_MAX		INT64CONST(999999999999999999)
#define LK_MAX_GROUPS	4		/* base-10000 digits of a fast-path input */
#define LK_P10_MAX		38		/* 10^38 < 2^127 */
#else
typedef int64 lk_acc;
typedef uint64 lk_uacc;
#define LK_MANT_DIGITS	9
#define LK_MANT_MAX		INT64CONST(999999999)
#define LK_MAX_GROUPS	3
#define LK_P10_MAX		18
#endif

#define LK_ACC_BITS		((int) (sizeof(lk_acc) * 8))
/* |fast| < LK_ACC_LIMIT always, so adding two such never overflows */
#define LK_ACC_LIMIT	(((lk_acc) 1) << (LK_ACC_BITS - 2))
#define LK_MAX_SCALE	(2 * LK_MANT_DIGITS)

/* largest dscale a numeric can carry (NUMERIC_DSCALE_MAX in numeric.c) */
#define LK_DSCALE_MAX	0x3FFF

typedef enum LkSpecial
{
	LK_FINITE = 0,
	LK_NAN,
	LK_PINF,
	LK_NINF
} LkSpecial;

/* a numeric, decoded */
typedef struct LkRaw
{
	int			special;		/* LkSpecial */
	bool		neg;
	int			weight;			/* of the first digit */
	int			dscale;
	int			ndigits;
	const char *digits;			/* NumericDigit (int16) array, maybe unaligned */
} LkRaw;

/* an input as the fast path sees it */
typedef struct LkNum
{
	int			special;		/* LkSpecial */
	bool		fits;			/* finite, m and d hold it */
	int32		d;				/* dscale */
	int64		m;				/* value * 10^d, |m| <= LK_MANT_MAX */
} LkNum;

/* the header bits (numeric.c's NUMERIC_* macros) */
#define LK_NUM_FLAG_MASK		0xC000
#define LK_NUM_POS				0x0000
#define LK_NUM_NEG				0x4000
#define LK_NUM_SHORT			0x8000
#define LK_NUM_SPECIAL			0xC000
#define LK_NUM_EXT_MASK			0xF000
#define LK_NUM_PINF				0xD000
#define LK_NUM_NINF				0xF000
#define LK_SHORT_SIGN_MASK		0x2000
#define LK_SHORT_DSCALE_MASK	0x1F80
#define LK_SHORT_DSCALE_SHIFT	7
#define LK_SHORT_WEIGHT_SIGN	0x0040
#define LK_SHORT_WEIGHT_MASK	0x003F
#define LK_LONG_DSCALE_MASK		0x3FFF

/*
 * Decode a numeric's bytes (after the varlena header).  With short_only,
 * only the short format (every finite numeric of at most 63 decimals and a
 * modest weight, as numeric.c writes them) is read and false says "not
 * short"; else false means the bytes are too few to be a numeric.
 */
static pg_attribute_always_inline bool
lk_raw_decode(const char *data, int len, LkRaw *r, bool short_only)
{
	uint16		h;
	int16		w;

	if (len < (int) sizeof(uint16))
		return false;
	memcpy(&h, data, sizeof(uint16));
	if (likely((h & LK_NUM_FLAG_MASK) == LK_NUM_SHORT))
	{
		r->special = LK_FINITE;
		r->neg = (h & LK_SHORT_SIGN_MASK) != 0;
		r->dscale = (h & LK_SHORT_DSCALE_MASK) >> LK_SHORT_DSCALE_SHIFT;
		r->weight = ((h & LK_SHORT_WEIGHT_SIGN) ? ~LK_SHORT_WEIGHT_MASK : 0) |
			(h & LK_SHORT_WEIGHT_MASK);
		r->digits = data + sizeof(uint16);
		r->ndigits = (len - (int) sizeof(uint16)) >> 1;
		return true;
	}
	if (short_only)
		return false;
	if ((h & LK_NUM_FLAG_MASK) == LK_NUM_SPECIAL)
	{
		if ((h & LK_NUM_EXT_MASK) == LK_NUM_PINF)
			r->special = LK_PINF;
		else if ((h & LK_NUM_EXT_MASK) == LK_NUM_NINF)
			r->special = LK_NINF;
		else
			r->special = LK_NAN;
		r->neg = false;
		r->weight = 0;
		r->dscale = 0;
		r->ndigits = 0;
		r->digits = NULL;
		return true;
	}
	if (len < 2 * (int) sizeof(uint16))
		return false;
	memcpy(&w, data + sizeof(uint16), sizeof(int16));
	r->special = LK_FINITE;
	r->neg = (h & LK_NUM_FLAG_MASK) == LK_NUM_NEG;
	r->dscale = h & LK_LONG_DSCALE_MASK;
	r->weight = w;
	r->digits = data + 2 * sizeof(uint16);
	r->ndigits = (len - 2 * (int) sizeof(uint16)) >> 1;
	return true;
}

/* digit i (base 10000) */
static inline int64
lk_raw_digit(const LkRaw *r, int i)
{
	int16		dig;

	memcpy(&dig, r->digits + i * sizeof(int16), sizeof(int16));
	return dig;
}

/*
 * The digits read as one integer are the value times 10^e, for the e this
 * returns; the value times 10^dscale is that integer times 10^(dscale - e).
 * (A numeric's digits beyond its dscale are zeros.)
 */
static inline int
lk_raw_exponent(const LkRaw *r)
{
	return r->dscale - 4 * (r->ndigits - 1 - r->weight);
}

/* 10^k and the largest a with a * 10^k <= LK_MANT_MAX, for k <= 18 */
static const int64 lk_p10_64[19] = {
	INT64CONST(1), INT64CONST(10), INT64CONST(100), INT64CONST(1000),
	INT64CONST(10000), INT64CONST(100000), INT64CONST(1000000),
	INT64CONST(10000000), INT64CONST(100000000), INT64CONST(1000000000),
	INT64CONST(10000000000), INT64CONST(100000000000),
	INT64CONST(1000000000000), INT64CONST(10000000000000),
	INT64CONST(100000000000000), INT64CONST(1000000000000000),
	INT64CONST(10000000000000000), INT64CONST(100000000000000000),
	INT64CONST(1000000000000000000)
};

static const int64 lk_mant_lim[19] = {
	LK_MANT_MAX, LK_MANT_MAX / 10, LK_MANT_MAX / 100, LK_MANT_MAX / 1000,
	LK_MANT_MAX / 10000, LK_MANT_MAX / 100000, LK_MANT_MAX / 1000000,
	LK_MANT_MAX / 10000000, LK_MANT_MAX / 100000000,
	LK_MANT_MAX / 1000000000, LK_MANT_MAX / INT64CONST(10000000000),
	LK_MANT_MAX / INT64CONST(100000000000),
	LK_MANT_MAX / INT64CONST(1000000000000),
	LK_MANT_MAX / INT64CONST(10000000000000),
	LK_MANT_MAX / INT64CONST(100000000000000),
	LK_MANT_MAX / INT64CONST(1000000000000000),
	LK_MANT_MAX / INT64CONST(10000000000000000),
	LK_MANT_MAX / INT64CONST(100000000000000000),
	LK_MANT_MAX / INT64CONST(1000000000000000000)
};

/*
 * A finite r as a fast-path mantissa: its value times 10^dscale, if that
 * has at most LK_MANT_DIGITS digits and r at most LK_MAX_GROUPS digits
 * (the digit loop is unrolled).
 */
static pg_attribute_always_inline bool
lk_raw_mantissa(const LkRaw *r, int64 *m)
{
	int64		a;
	int			e;

	switch (r->ndigits)
	{
		case 0:
			*m = 0;
			return true;
		case 1:
			a = lk_raw_digit(r, 0);
			break;
		case 2:
			a = lk_raw_digit(r, 0) * 10000 + lk_raw_digit(r, 1);
			break;
		case 3:
			a = (lk_raw_digit(r, 0) * 10000 + lk_raw_digit(r, 1)) * 10000 +
				lk_raw_digit(r, 2);
			break;
#if LK_MAX_GROUPS >= 4
		case 4:
			a = ((lk_raw_digit(r, 0) * 10000 + lk_raw_digit(r, 1)) * 10000 +
				 lk_raw_digit(r, 2)) * 10000 + lk_raw_digit(r, 3);
			break;
#endif
		default:
			return false;
	}
	e = lk_raw_exponent(r);
	if (e >= 0)
	{
		if (e > LK_MANT_DIGITS || a > lk_mant_lim[e])
			return false;
		a *= lk_p10_64[e];
	}
	else if (e == -2)
		a /= 100;				/* exact: the digits beyond dscale are zeros */
	else if (e == -1)
		a /= 10;
	else if (e == -3)
		a /= 1000;
	else
		return false;			/* not a canonical numeric */
	if (a > LK_MANT_MAX)
		return false;
	*m = r->neg ? -a : a;
	return true;
}

/*
 * Read an input datum.  The one body serves two readers: lk_num_read_any()
 * reads every numeric (detoasting it if need be); the fast path's
 * lk_num_read() takes only what is common, a numeric in the short format
 * with at most LK_MAX_GROUPS digits, not toasted (read from a heap tuple
 * with a 1-byte varlena header, or computed, with a 4-byte one), and leaves
 * the rest to lk_num_read_any(), which gives the same result for these.
 * Returns false only in the fast reader, for "not handled here".
 */
static pg_attribute_always_inline bool
lk_num_decode(Datum datum, LkNum *out, bool fast)
{
	const char *v = (const char *) DatumGetPointer(datum);
	const char *data;
	int			len;
	LkRaw		r;

	if (likely(VARATT_IS_1B(v) && !VARATT_IS_1B_E(v)))
	{
		data = VARDATA_1B(v);
		len = VARSIZE_1B(v) - VARHDRSZ_SHORT;
	}
	else if (VARATT_IS_4B_U(v))
	{
		data = VARDATA(v);
		len = VARSIZE(v) - VARHDRSZ;
	}
	else if (fast)
		return false;
	else
	{
		Numeric		n = DatumGetNumeric(datum); /* detoasted */

		data = VARDATA(n);
		len = VARSIZE(n) - VARHDRSZ;
	}
	if (fast && len > (int) sizeof(uint16) * (1 + LK_MAX_GROUPS))
		return false;
	if (!lk_raw_decode(data, len, &r, fast))
	{
		if (fast)
			return false;
		/* not a numeric: let numeric.c's functions judge it */
		r.special = LK_FINITE;
		r.dscale = 0;
	}
	else if (likely(r.special == LK_FINITE && r.dscale <= LK_MANT_DIGITS &&
					lk_raw_mantissa(&r, &out->m)))
	{
		out->special = LK_FINITE;
		out->fits = true;
		out->d = r.dscale;
		return true;
	}
	if (fast)
		return false;
	out->special = r.special;
	out->fits = false;
	out->d = r.dscale;
	out->m = 0;
	return true;
}

extern void lk_num_read_any(Datum datum, LkNum *out);

/* the fast path's reader */
static pg_attribute_always_inline void
lk_num_read(Datum datum, LkNum *out)
{
	if (unlikely(!lk_num_decode(datum, out, true)))
		lk_num_read_any(datum, out);
}

/* exact comparisons of scaled integers: a * 10^-as with b * 10^-bs */
extern int	lk_cmp_rescaled(lk_acc a, int as, lk_acc b, int bs);

static inline int
lk_cmp_scaled(lk_acc a, int as, lk_acc b, int bs)
{
	if (likely(as == bs))
		return (a > b) ? 1 : ((a < b) ? -1 : 0);
	return lk_cmp_rescaled(a, as, b, bs);
}

static inline int
lk_cmp_num(const LkNum *a, const LkNum *b)
{
	return lk_cmp_scaled(a->m, a->d, b->m, b->d);
}

/* leakage_numeric.c */
extern bool lk_scale_up(lk_acc *v, int k);
extern bool lk_raw_of(Numeric n, LkRaw *r);
extern int	lk_num_special(Numeric n);
extern bool lk_raw_to_acc(const LkRaw *r, lk_acc *v);
extern Numeric lk_acc_to_numeric(lk_acc v, int scale);
extern Numeric lk_num_rescale(Numeric x, int dscale);
extern Numeric lk_special_numeric(int special);
extern Numeric lk_num_op(PGFunction op, Numeric a, Numeric b);
#define lk_num_add(a, b)	lk_num_op(numeric_add, (a), (b))
#define lk_num_sub(a, b)	lk_num_op(numeric_sub, (a), (b))
#define lk_num_mul(a, b)	lk_num_op(numeric_mul, (a), (b))
#define lk_num_div(a, b)	lk_num_op(numeric_div, (a), (b))
extern Numeric lk_num_neg(Numeric a);
extern int	lk_num_cmp(Numeric a, Numeric b);
extern Numeric lk_num_int(int64 v);

#endif							/* VALUECHECK_LEAKAGE_NUMERIC_H */
