/*
 * leakage_numeric.c
 *		Numerics for the discount-leakage aggregates: reading any input
 *		(the general reader; the fast one is inline in leakage_numeric.h),
 *		converting between numerics and scaled integers exactly, and the
 *		numeric operations of the slow path and the final functions.
 *
 * Numerics are built here from their digits and display scale, never
 * through text, and exactly as numeric.c's make_result() lays them out:
 * leading and trailing zero digits stripped, zero positive with weight 0,
 * the short format wherever it can hold the value.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "leakage_numeric.h"

/* the short format's limits (numeric.c's NUMERIC_SHORT_*) */
#define LK_SHORT_DSCALE_MAX		(LK_SHORT_DSCALE_MASK >> LK_SHORT_DSCALE_SHIFT)
#define LK_SHORT_WEIGHT_MAX		LK_SHORT_WEIGHT_MASK
#define LK_SHORT_WEIGHT_MIN		(-(LK_SHORT_WEIGHT_MASK + 1))

/* powers of ten in lk_acc, and the largest |v| that v * 10^k keeps below LK_ACC_LIMIT */
static lk_acc lk_p10[LK_P10_MAX + 1];
static lk_acc lk_scale_lim[LK_P10_MAX + 1];
static bool lk_tables_ready = false;

static void
lk_tables_init(void)
{
	int			k;

	lk_p10[0] = 1;
	for (k = 1; k <= LK_P10_MAX; k++)
		lk_p10[k] = lk_p10[k - 1] * 10;
	for (k = 0; k <= LK_P10_MAX; k++)
		lk_scale_lim[k] = (LK_ACC_LIMIT - 1) / lk_p10[k];
	lk_tables_ready = true;
}

/* *v *= 10^k, unless that would reach LK_ACC_LIMIT (then false, *v unchanged) */
bool
lk_scale_up(lk_acc *v, int k)
{
	if (k == 0 || *v == 0)
		return true;
	if (k < 0 || k > LK_P10_MAX)
		return false;
	if (!lk_tables_ready)
		lk_tables_init();
	if (*v > lk_scale_lim[k] || *v < -lk_scale_lim[k])
		return false;
	*v *= lk_p10[k];
	return true;
}

/*
 * lk_cmp_scaled() for different scales (|a|, |b| < LK_ACC_LIMIT).  When
 * scaling one side to the other's scale would pass LK_ACC_LIMIT, its
 * magnitude exceeds the other side's, so its sign decides.
 */
int
lk_cmp_rescaled(lk_acc a, int as, lk_acc b, int bs)
{
	if (as < bs)
	{
		if (!lk_scale_up(&a, bs - as))
			return a > 0 ? 1 : -1;
	}
	else if (as > bs)
	{
		if (!lk_scale_up(&b, as - bs))
			return b > 0 ? -1 : 1;
	}
	return (a > b) ? 1 : ((a < b) ? -1 : 0);
}

/* ----------------------------------------------------------------------
 * Reading
 * ----------------------------------------------------------------------
 */

/* the general reader of an input: no palloc unless it is toasted */
pg_noinline void
lk_num_read_any(Datum datum, LkNum *out)
{
	(void) lk_num_decode(datum, out, false);
}

/* decode a Numeric in memory (4-byte header, not toasted) */
bool
lk_raw_of(Numeric n, LkRaw *r)
{
	return lk_raw_decode(VARDATA(n), (int) (VARSIZE(n) - VARHDRSZ), r, false);
}

/* NaN, +/-Infinity or finite (LkSpecial): the one test of the leakage code */
int
lk_num_special(Numeric n)
{
	LkRaw		r;

	if (!lk_raw_of(n, &r))
		elog(ERROR, "valuecheck: unreadable numeric value");
	return r.special;
}

/*
 * A finite numeric as value * 10^dscale in lk_acc, if dscale <= LK_MAX_SCALE
 * and that fits below LK_ACC_LIMIT.
 */
bool
lk_raw_to_acc(const LkRaw *r, lk_acc *v)
{
	lk_acc		a = 0;
	int			i;
	int			e;

	if (r->special != LK_FINITE || r->dscale > LK_MAX_SCALE)
		return false;
	if (!lk_tables_ready)
		lk_tables_init();
	for (i = 0; i < r->ndigits; i++)
	{
		if (a > (LK_ACC_LIMIT - 1 - 9999) / 10000)
			return false;
		a = a * 10000 + lk_raw_digit(r, i);
	}
	if (r->ndigits > 0)
	{
		e = lk_raw_exponent(r);
		if (e >= 0)
		{
			if (!lk_scale_up(&a, e))
				return false;
		}
		else
		{
			if (e < -3)
				return false;
			a /= lk_p10[-e];
		}
	}
	*v = r->neg ? -a : a;
	return true;
}

/* ----------------------------------------------------------------------
 * Building
 * ----------------------------------------------------------------------
 */

/*
 * The numeric with these digits (most significant first, base 10000),
 * weight, sign and display scale, laid out as make_result() lays it out.
 */
static Numeric
lk_raw_encode(bool neg, int weight, int dscale, const int16 *digits, int ndigits)
{
	Numeric		n;
	char	   *p;
	Size		len;
	uint16		h;

	while (ndigits > 0 && digits[0] == 0)
	{
		digits++;
		ndigits--;
		weight--;
	}
	while (ndigits > 0 && digits[ndigits - 1] == 0)
		ndigits--;
	if (ndigits == 0)
	{
		neg = false;
		weight = 0;
	}
	if (dscale < 0 || dscale > LK_DSCALE_MAX || weight > PG_INT16_MAX ||
		weight < PG_INT16_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value overflows numeric format")));

	if (dscale <= LK_SHORT_DSCALE_MAX && weight <= LK_SHORT_WEIGHT_MAX &&
		weight >= LK_SHORT_WEIGHT_MIN)
	{
		len = VARHDRSZ + sizeof(uint16) + ndigits * sizeof(int16);
		h = LK_NUM_SHORT | (neg ? LK_SHORT_SIGN_MASK : 0) |
			(dscale << LK_SHORT_DSCALE_SHIFT) |
			(weight < 0 ? LK_SHORT_WEIGHT_SIGN : 0) |
			(weight & LK_SHORT_WEIGHT_MASK);
	}
	else
	{
		len = VARHDRSZ + 2 * sizeof(uint16) + ndigits * sizeof(int16);
		h = (neg ? LK_NUM_NEG : LK_NUM_POS) | (dscale & LK_LONG_DSCALE_MASK);
	}
	n = (Numeric) palloc(len);
	SET_VARSIZE(n, len);
	p = VARDATA(n);
	memcpy(p, &h, sizeof(uint16));
	p += sizeof(uint16);
	if (!(h & LK_NUM_SHORT))
	{
		int16		w = (int16) weight;

		memcpy(p, &w, sizeof(int16));
		p += sizeof(int16);
	}
	if (ndigits > 0)
		memcpy(p, digits, ndigits * sizeof(int16));
	return n;
}

/*
 * v * 10^-scale (scale >= 0) as a numeric of display scale
 * scale.
 */
Numeric
lk_acc_to_numeric(lk_acc v, int scale)
{
	/* at most 39 decimal digits, plus 3 of alignment: 11 groups */
	int16		groups[12];
	int			ng = 0;
	int			pad = (4 - scale % 4) % 4;
	lk_uacc		u;
	uint64		chunk;
	int			i;

	Assert(scale >= 0);
	u = (v < 0) ? (lk_uacc) 0 - (lk_uacc) v : (lk_uacc) v;

	/*
	 * Base-10000 digits, least significant first, aligned so that the
	 * decimal point falls between two of them: the lowest holds the value's
	 * last 4 - pad digits, shifted up by pad.
	 */
	groups[ng++] = (int16) ((u % lk_p10_64[4 - pad]) * lk_p10_64[pad]);
	u /= lk_p10_64[4 - pad];
	while (u != 0)
	{
		/* four groups at a time in uint64 arithmetic */
		if (u > (lk_uacc) PG_UINT64_MAX)
		{
			lk_uacc		q = u / (lk_uacc) lk_p10_64[16];

			chunk = (uint64) (u - q * (lk_uacc) lk_p10_64[16]);
			u = q;
			for (i = 0; i < 4; i++)
			{
				groups[ng++] = (int16) (chunk % 10000);
				chunk /= 10000;
			}
		}
		else
		{
			chunk = (uint64) u;
			u = 0;
			while (chunk != 0)
			{
				groups[ng++] = (int16) (chunk % 10000);
				chunk /= 10000;
			}
		}
	}
	/* most significant first */
	for (i = 0; i < ng / 2; i++)
	{
		int16		t = groups[i];

		groups[i] = groups[ng - 1 - i];
		groups[ng - 1 - i] = t;
	}
	return lk_raw_encode(v < 0, ng - 1 - (scale + pad) / 4, scale, groups, ng);
}

/*
 * x with display scale dscale: adding zeros, or dropping zeros; never
 * rounding (a dropped digit that is not zero is an internal error).
 */
Numeric
lk_num_rescale(Numeric x, int dscale)
{
	LkRaw		r;
	int16	   *digits;

	if (!lk_raw_of(x, &r) || r.special != LK_FINITE || r.dscale == dscale)
		return x;
	if (dscale < r.dscale && r.ndigits > 0)
	{
		/* the last digit holds decimals down to 10^-(4 * (ndigits - 1 - weight)) */
		int			last = (int) lk_raw_digit(&r, r.ndigits - 1);
		int			decimals = 4 * (r.ndigits - 1 - r.weight);

		while (decimals > 0 && last % 10 == 0)
		{
			last /= 10;
			decimals--;
		}
		if (decimals > dscale)
			elog(ERROR, "valuecheck: exact sum has more digits than its display scale");
	}
	digits = (int16 *) palloc(Max(r.ndigits, 1) * sizeof(int16));
	if (r.ndigits > 0)
		memcpy(digits, r.digits, r.ndigits * sizeof(int16));
	return lk_raw_encode(r.neg, r.weight, dscale, digits, r.ndigits);
}

Numeric
lk_special_numeric(int special)
{
	const char *s;

	switch (special)
	{
		case LK_PINF:
			s = "Infinity";
			break;
		case LK_NINF:
			s = "-Infinity";
			break;
		default:
			s = "NaN";
			break;
	}
	return DatumGetNumeric(DirectFunctionCall3(numeric_in,
											   CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

/* ----------------------------------------------------------------------
 * numeric.c's operations (the slow path and the final functions)
 * ----------------------------------------------------------------------
 */
/* a binary operator of numeric.c: lk_num_add() and the others */
Numeric
lk_num_op(PGFunction op, Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(op, NumericGetDatum(a),
											   NumericGetDatum(b)));
}

Numeric
lk_num_neg(Numeric a)
{
	return DatumGetNumeric(DirectFunctionCall1(numeric_uminus,
											   NumericGetDatum(a)));
}

/* numeric_cmp: NaN equals NaN and sorts above everything, as in SQL */
int
lk_num_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(a),
											 NumericGetDatum(b)));
}

Numeric
lk_num_int(int64 v)
{
	return vc_int64_to_numeric(v);
}
