/*
 * leakage_agg.c
 *		The discount-leakage aggregates (SPEC section 5): transition, inverse
 *		transition, combine and final functions of discount_leakage,
 *		floor_leakage and leakage, over the state described in leakage.h.
 *
 * Every result equals the same arithmetic done with SQL numeric: sums keep
 * their exact value and the display scale SQL's sum would give, the two
 * rates are computed once, in the final function, by numeric_div itself on
 * exactly the operands SQL would divide.
 *
 * Rows.  A row is aggregated when its required inputs are not NULL:
 * list price, price and quantity for discount_leakage and leakage; price and
 * quantity for floor_leakage.  A NULL floor counts as "not below".  Each
 * aggregated row is first turned into an LkRow (the values it adds to each
 * sum, its counters, its discount-rate candidate); the forward transition
 * adds it, the inverse transition checks that it can be taken out and
 * subtracts it.
 *
 * The fast path reads each input's digits into an int64 mantissa (no palloc)
 * and does the products in lk_acc.  A row with an input that does not fit,
 * or is NaN or infinite, is computed with numeric_sub/numeric_mul/
 * numeric_div/numeric_cmp, so NaN and infinities behave exactly as in SQL
 * (NaN sorts above every number and equals itself; inf - inf, inf * 0 and
 * inf / inf are NaN; ...).
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
#include "postgres.h"

#include "access/htup_details.h"
#include "common/int.h"
#include "funcapi.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "leakage.h"

PG_FUNCTION_INFO_V1(valuecheck_discount_leakage_final);
PG_FUNCTION_INFO_V1(valuecheck_floor_leakage_final);
PG_FUNCTION_INFO_V1(valuecheck_leakage_final);
PG_FUNCTION_INFO_V1(valuecheck_leakage_state_combine);

#if LK_MANT_DIGITS == 18
typedef uint128 lk_uacc;
#define LK_P10_MAX	38			/* 10^38 < 2^127 */
#else
typedef uint64 lk_uacc;
#define LK_P10_MAX	18
#endif

/* the largest fast-path mantissa, 10^LK_MANT_DIGITS - 1 */
#if LK_MANT_DIGITS == 18
#define LK_MANT_MAX		INT64CONST(999999999999999999)
#else
#define LK_MANT_MAX		INT64CONST(999999999)
#endif

/* ----------------------------------------------------------------------
 * Reading numerics.  numeric.h does not export the on-disk format, which
 * PostgreSQL 13 to 17 share (numeric.c, "struct NumericData"): a uint16
 * header word, then (long format only) an int16 weight, then base-10000
 * digits.  The header's two top bits: 00 positive long, 01 negative long,
 * 10 short, 11 special (NaN; from 14 on also +/-Infinity, told apart by the
 * next two bits).
 * ----------------------------------------------------------------------
 */
#define LK_NUM_FLAG_MASK		0xC000
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

typedef enum LkSpecial
{
	LK_FINITE = 0,
	LK_NAN,
	LK_PINF,
	LK_NINF
} LkSpecial;

/* a numeric's header, decoded */
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

/* the largest a with a * 10^e <= LK_MANT_MAX */
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
static bool
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
 * Compare a * 10^-as with b * 10^-bs exactly (|a|, |b| < LK_ACC_LIMIT).  When
 * scaling one side to the other's scale would pass LK_ACC_LIMIT, its
 * magnitude exceeds the other side's, so its sign decides.
 */
static int
lk_cmp_scaled(lk_acc a, int as, lk_acc b, int bs)
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

static pg_attribute_always_inline bool
lk_raw_bytes(const char *data, Size len, LkRaw *r)
{
	uint16		h;

	if (len < sizeof(uint16))
		return false;
	memcpy(&h, data, sizeof(uint16));
	switch (h & LK_NUM_FLAG_MASK)
	{
		case LK_NUM_SPECIAL:
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
		case LK_NUM_SHORT:
			r->special = LK_FINITE;
			r->neg = (h & LK_SHORT_SIGN_MASK) != 0;
			r->dscale = (h & LK_SHORT_DSCALE_MASK) >> LK_SHORT_DSCALE_SHIFT;
			r->weight = ((h & LK_SHORT_WEIGHT_SIGN) ? ~LK_SHORT_WEIGHT_MASK : 0) |
				(h & LK_SHORT_WEIGHT_MASK);
			r->digits = data + sizeof(uint16);
			r->ndigits = (len - sizeof(uint16)) / sizeof(int16);
			return true;
		default:
			{
				int16		w;

				if (len < 2 * sizeof(uint16))
					return false;
				memcpy(&w, data + sizeof(uint16), sizeof(int16));
				r->special = LK_FINITE;
				r->neg = (h & LK_NUM_FLAG_MASK) == LK_NUM_NEG;
				r->dscale = h & LK_LONG_DSCALE_MASK;
				r->weight = w;
				r->digits = data + 2 * sizeof(uint16);
				r->ndigits = (len - 2 * sizeof(uint16)) / sizeof(int16);
				return true;
			}
	}
}

static inline int
lk_raw_digit(const LkRaw *r, int i)
{
	int16		dig;

	memcpy(&dig, r->digits + i * sizeof(int16), sizeof(int16));
	return dig;
}

/* Read a numeric (4-byte header, not toasted) header. */
static bool
lk_raw_numeric(Numeric n, LkRaw *r)
{
	return lk_raw_bytes(VARDATA(n), VARSIZE(n) - VARHDRSZ, r);
}

/* The general reading of an input: no palloc unless it is toasted. */
static pg_noinline void
lk_parse_general(Datum datum, LkNum *out)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(datum);
	LkRaw		r;
	int64		a;
	int			i;
	int			e;
	bool		ok;

	if (VARATT_IS_4B_U(v))
		ok = lk_raw_bytes(VARDATA(v), VARSIZE(v) - VARHDRSZ, &r);
	else if (VARATT_IS_1B(v) && !VARATT_IS_1B_E(v))
		ok = lk_raw_bytes(VARDATA_1B(v), VARSIZE_1B(v) - VARHDRSZ_SHORT, &r);
	else
		ok = lk_raw_numeric(DatumGetNumeric(datum), &r);

	out->special = LK_FINITE;
	out->fits = false;
	out->d = 0;
	out->m = 0;
	if (!ok)
		return;					/* let numeric.c's functions judge it */
	out->special = r.special;
	if (r.special != LK_FINITE)
		return;
	out->d = r.dscale;
	if (r.dscale > LK_MANT_DIGITS)
		return;
	if (r.ndigits == 0)
	{
		out->fits = true;
		return;
	}
	if (r.ndigits > LK_MAX_GROUPS)
		return;
	a = 0;
	for (i = 0; i < r.ndigits; i++)
		a = a * 10000 + lk_raw_digit(&r, i);
	/* a is the value times 10000^(ndigits - 1 - weight); bring it to 10^dscale */
	e = r.dscale - 4 * (r.ndigits - 1 - r.weight);
	if (e >= 0)
	{
		if (e > LK_MANT_DIGITS || a > lk_mant_lim[e])
			return;
		a *= lk_p10_64[e];
	}
	else
	{
		/* exact: digits beyond dscale are zero; constant divisors are cheap */
		switch (e)
		{
			case -1:
				a /= 10;
				break;
			case -2:
				a /= 100;
				break;
			case -3:
				a /= 1000;
				break;
			default:
				return;			/* not a canonical numeric */
		}
	}
	if (a > LK_MANT_MAX)
		return;
	out->m = r.neg ? -a : a;
	out->fits = true;
}

/* digit i (base 10000) of a short-format numeric's data, maybe unaligned */
#define LK_DIGIT(dg, i) \
	((int64) ({ int16 d_; memcpy(&d_, (dg) + 2 * (i), sizeof(int16)); d_; }))

/*
 * The fast-path reading of an input.  The common case, a numeric in
 * numeric's short format with at most LK_MAX_GROUPS digits, not toasted
 * (read from a heap tuple with a 1-byte varlena header, or computed, with a
 * 4-byte one), is decoded here with the digit loop unrolled;
 * everything else goes to lk_parse_general(), which gives the same result
 * for these.
 */
static pg_attribute_always_inline void
lk_parse(Datum datum, LkNum *out)
{
	const uint8 *v = (const uint8 *) DatumGetPointer(datum);
	const uint8 *data = NULL;
	int			len = 0;

	/* a 1-byte header (read from a tuple) or a plain 4-byte one (computed) */
	if (likely(VARATT_IS_1B(v) && !VARATT_IS_1B_E(v)))
	{
		len = VARSIZE_1B(v) - VARHDRSZ_SHORT;
		data = v + VARHDRSZ_SHORT;
	}
	else if (VARATT_IS_4B_U(v))
	{
		len = VARSIZE(v) - VARHDRSZ;
		data = v + VARHDRSZ;
	}
	if (likely(data != NULL))
	{
		uint16		h;

		if (likely(len >= (int) sizeof(uint16) &&
				   len <= (int) (sizeof(uint16) * (1 + LK_MAX_GROUPS))))
		{
			memcpy(&h, data, sizeof(uint16));
			if (likely((h & LK_NUM_FLAG_MASK) == LK_NUM_SHORT))
			{
				const uint8 *dg = data + sizeof(uint16);
				int			nd = (len - (int) sizeof(uint16)) >> 1;
				int			dscale = (h & LK_SHORT_DSCALE_MASK) >> LK_SHORT_DSCALE_SHIFT;
				int			weight = ((h & LK_SHORT_WEIGHT_SIGN) ? ~LK_SHORT_WEIGHT_MASK : 0) |
					(h & LK_SHORT_WEIGHT_MASK);
				int64		a;
				int			e;
				bool		ok = true;

				switch (nd)
				{
					case 0:
						a = 0;
						break;
					case 1:
						a = LK_DIGIT(dg, 0);
						break;
					case 2:
						a = LK_DIGIT(dg, 0) * 10000 + LK_DIGIT(dg, 1);
						break;
					case 3:
						a = (LK_DIGIT(dg, 0) * 10000 + LK_DIGIT(dg, 1)) * 10000 +
							LK_DIGIT(dg, 2);
						break;
#if LK_MAX_GROUPS >= 4
					case 4:
						a = ((LK_DIGIT(dg, 0) * 10000 + LK_DIGIT(dg, 1)) * 10000 +
							 LK_DIGIT(dg, 2)) * 10000 + LK_DIGIT(dg, 3);
						break;
#endif
					default:
						a = 0;
						ok = false;
				}
				/* a is the value times 10000^(nd - 1 - weight): bring it to 10^dscale */
				e = dscale - 4 * (nd - 1 - weight);
				if (nd == 0)
					;
				else if (e >= 0)
				{
					if (e <= LK_MANT_DIGITS && a <= lk_mant_lim[e])
						a *= lk_p10_64[e];
					else
						ok = false;
				}
				else if (e == -2)
					a /= 100;	/* exact: the digits beyond dscale are zeros */
				else if (e == -1)
					a /= 10;
				else if (e == -3)
					a /= 1000;
				else
					ok = false;
				if (likely(ok && dscale <= LK_MANT_DIGITS && a <= LK_MANT_MAX))
				{
					out->special = LK_FINITE;
					out->fits = true;
					out->d = dscale;
					out->m = (h & LK_SHORT_SIGN_MASK) ? -a : a;
					return;
				}
			}
		}
	}
	lk_parse_general(datum, out);
}

/*
 * A finite numeric as value * 10^dscale in lk_acc, if dscale <= LK_MAX_SCALE
 * and that fits below LK_ACC_LIMIT.
 */
static bool
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
		e = r->dscale - 4 * (r->ndigits - 1 - r->weight);
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
 * Numeric helpers (the slow path and the final functions)
 * ----------------------------------------------------------------------
 */
static Numeric
lk_num_in(const char *s)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in,
											   CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

static Numeric
lk_num_add(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_add,
											   NumericGetDatum(a),
											   NumericGetDatum(b)));
}

static Numeric
lk_num_sub(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_sub,
											   NumericGetDatum(a),
											   NumericGetDatum(b)));
}

static Numeric
lk_num_mul(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_mul,
											   NumericGetDatum(a),
											   NumericGetDatum(b)));
}

static Numeric
lk_num_div(Numeric a, Numeric b)
{
	return DatumGetNumeric(DirectFunctionCall2(numeric_div,
											   NumericGetDatum(a),
											   NumericGetDatum(b)));
}

static Numeric
lk_num_neg(Numeric a)
{
	return DatumGetNumeric(DirectFunctionCall1(numeric_uminus,
											   NumericGetDatum(a)));
}

/* numeric_cmp: NaN equals NaN and sorts above everything, as in SQL */
static int
lk_num_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(a),
											 NumericGetDatum(b)));
}

static Numeric
lk_num_int(int64 v)
{
	return vc_int64_to_numeric(v);
}

/*
 * v * 10^-scale as a numeric of display scale dscale.  Digits dropped when
 * dscale < scale must be zeros (they are, for every sum we keep); anything
 * else is an internal error, never a silent rounding.
 */
static Numeric
lk_acc_to_numeric(lk_acc v, int scale, int dscale)
{
	char	   *digits = palloc(Max(scale, 40) + 2);
	int			nd = 0;
	lk_uacc		u;
	char	   *buf;
	char	   *p;
	int			intlen;
	int			i;

	u = (v < 0) ? (lk_uacc) 0 - (lk_uacc) v : (lk_uacc) v;
	/* digits, least significant first, 18 at a time */
	do
	{
		uint64		chunk;
		int			k;

		if (u > (lk_uacc) PG_UINT64_MAX)
		{
			lk_uacc		q = u / (lk_uacc) lk_p10_64[18];

			chunk = (uint64) (u - q * (lk_uacc) lk_p10_64[18]);
			u = q;
			for (k = 0; k < 18; k++)
			{
				digits[nd++] = '0' + (char) (chunk % 10);
				chunk /= 10;
			}
		}
		else
		{
			chunk = (uint64) u;
			u = 0;
			do
			{
				digits[nd++] = '0' + (char) (chunk % 10);
				chunk /= 10;
			} while (chunk != 0);
		}
	} while (u != 0);
	while (nd <= scale)
		digits[nd++] = '0';

	/* check the digits dscale drops */
	for (i = 0; i < scale - dscale; i++)
		if (digits[i] != '0')
			elog(ERROR, "valuecheck: exact sum has more digits than its display scale");

	buf = palloc(nd + Max(dscale - scale, 0) + 3);
	p = buf;
	if (v < 0)
		*p++ = '-';
	intlen = nd - scale;
	for (i = nd - 1; i >= nd - intlen; i--)
		*p++ = digits[i];
	if (dscale > 0)
	{
		*p++ = '.';
		for (i = scale - 1; i >= 0 && i >= scale - dscale; i--)
			*p++ = digits[i];
		for (i = scale; i < dscale; i++)
			*p++ = '0';
	}
	*p = '\0';
	return lk_num_in(buf);
}

/* x with display scale d (adding zeros, or dropping zeros; never rounding) */
static Numeric
lk_num_with_dscale(Numeric x, int d)
{
	LkRaw		r;
	char	   *s;
	char	   *dot;
	StringInfoData buf;
	int			f;
	int			i;

	if (!lk_raw_numeric(x, &r) || r.special != LK_FINITE || r.dscale == d)
		return x;
	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(x)));
	dot = strchr(s, '.');
	f = dot ? (int) strlen(dot + 1) : 0;
	initStringInfo(&buf);
	if (f <= d)
	{
		appendStringInfoString(&buf, s);
		if (!dot && d > 0)
			appendStringInfoChar(&buf, '.');
		for (i = f; i < d; i++)
			appendStringInfoChar(&buf, '0');
	}
	else
	{
		for (i = d; i < f; i++)
			if (dot[1 + i] != '0')
				elog(ERROR, "valuecheck: exact sum has more digits than its display scale");
		appendBinaryStringInfo(&buf, s, (int) (dot - s) + (d > 0 ? 1 + d : 0));
	}
	return lk_num_in(buf.data);
}

static Numeric
lk_special_numeric(int special)
{
	switch (special)
	{
		case LK_PINF:
			return lk_num_in("Infinity");
		case LK_NINF:
			return lk_num_in("-Infinity");
		default:
			return lk_num_in("NaN");
	}
}

/* ----------------------------------------------------------------------
 * The state
 * ----------------------------------------------------------------------
 */
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

static Numeric
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

void
lk_work_begin(LkWork *w, LkState *st)
{
	w->st = st;
	w->dirty = false;
	w->loaded = false;
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

/* ----------------------------------------------------------------------
 * Exact sums
 * ----------------------------------------------------------------------
 */
static void
lk_ovf_add(LkWork *w, int idx, Numeric x)
{
	lk_work_load(w);
	w->ovf[idx] = w->ovf[idx] ? lk_num_add(w->ovf[idx], x) : x;
	w->dirty = true;
}

/* add v * 10^-d (|v| < LK_ACC_LIMIT) to sum idx, exactly */
static pg_noinline void
lk_add_acc_slow(LkWork *w, int idx, lk_acc v, int d)
{
	LkSum	   *s = &w->st->sums[idx];
	lk_acc		orig = v;
	lk_acc		r;

	if (d < s->scale)
	{
		if (!lk_scale_up(&v, s->scale - d))
		{
			lk_ovf_add(w, idx, lk_acc_to_numeric(orig, d, d));
			return;
		}
	}
	else if (d > s->scale)
	{
		lk_acc		f = s->fast;

		if (d > LK_MAX_SCALE)
		{
			lk_ovf_add(w, idx, lk_acc_to_numeric(orig, d, d));
			return;
		}
		if (!lk_scale_up(&f, d - s->scale))
		{
			/* the fast part moves to the Numeric */
			lk_ovf_add(w, idx, lk_acc_to_numeric(s->fast, s->scale, s->scale));
			f = 0;
		}
		s->fast = f;
		s->scale = d;
	}
	r = s->fast + v;
	if (r >= LK_ACC_LIMIT || r <= -LK_ACC_LIMIT)
	{
		/* the fast part moves to the Numeric; the new value starts afresh */
		lk_ovf_add(w, idx, lk_acc_to_numeric(s->fast, s->scale, s->scale));
		r = v;
	}
	s->fast = r;
}

static inline void
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

static void
lk_val_numeric(LkVal *x, Numeric n)
{
	LkRaw		r;

	if (!lk_raw_numeric(n, &r))
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

/* the sum bookkeeping of numeric.c's do_numeric_accum / do_numeric_discard */
static void
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
		if (x->d > s->maxd)
		{
			s->maxd = x->d;
			s->maxd_count = 1;
		}
		else if (x->d == s->maxd)
			s->maxd_count++;
	}
	else
	{
		/* lk_sum_removable() said yes */
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
			return;
		}
	}
	if (x->is_num)
		lk_ovf_add(w, idx, sign > 0 ? x->num : lk_num_neg(x->num));
	else
		lk_add_acc(w, idx, sign > 0 ? x->v : -x->v, x->d);
}

/*
 * Can x be taken out of the sum?  Not when it is the last input of the
 * largest display scale (numeric.c's do_numeric_discard gives up there too:
 * the new largest scale is unknown).
 */
static bool
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

/*
 * The exact finite part of sum idx (fast part plus Numeric part) with the
 * display scale SQL's sum gives it.
 */
Numeric
lk_sum_value(const LkState *st, int idx)
{
	const LkSum *s = &st->sums[idx];
	Numeric		ovf = lk_tail(st, s->ovf);
	Numeric		r;

	if (ovf == NULL)
		return lk_acc_to_numeric(s->fast, s->scale, s->maxd);
	r = lk_acc_to_numeric(s->fast, s->scale, s->scale);
	return lk_num_with_dscale(lk_num_add(r, ovf), s->maxd);
}

/* the sum as sum(numeric) returns it: NaN/infinities first */
static Numeric
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

/* ----------------------------------------------------------------------
 * The maximum discount rate
 * ----------------------------------------------------------------------
 */
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

static Numeric
lk_rate_l(const LkRate *x)
{
	return x->kind == LK_RATE_NUM ? x->nl : lk_acc_to_numeric(x->l, x->ld, x->ld);
}

static Numeric
lk_rate_p(const LkRate *x)
{
	return x->kind == LK_RATE_NUM ? x->np : lk_acc_to_numeric(x->p, x->pd, x->pd);
}

/* the state's best candidate as an LkRate (kind NONE if none) */
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
	/* (lx - px) / lx > (ly - py) / ly  <=>  px * ly < py * lx */
	if (x->kind == LK_RATE_FAST && y->kind == LK_RATE_FAST)
		return -lk_cmp_scaled((lk_acc) x->p * y->l, x->pd + y->ld,
							  (lk_acc) y->p * x->l, y->pd + x->ld);
	return -lk_num_cmp(lk_num_mul(lk_rate_p(x), lk_rate_l(y)),
					   lk_num_mul(lk_rate_p(y), lk_rate_l(x)));
}

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
		st->best_kind = LK_BEST_FAST;
		st->best_l = x->l;
		st->best_p = x->p;
		st->best_ld = x->ld;
		st->best_pd = x->pd;
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

static pg_noinline void
lk_rate_add(LkWork *w, const LkRate *x)
{
	LkState    *st = w->st;
	LkRate		best;

	switch (x->kind)
	{
		case LK_RATE_NONE:
			return;
		case LK_RATE_SPECIAL:
			if (x->special == LK_PINF)
				st->rate_pinf++;
			else if (x->special == LK_NINF)
				st->rate_ninf++;
			else
				st->rate_nan++;
			return;
	}
	lk_best_rate(w, &best);
	if (best.kind == LK_RATE_NONE || lk_rate_cmp(x, &best) > 0)
		lk_best_take(w, x);
}

/* the final rows' best (text/binary input): l > 0 and p, both finite */
void
lk_best_set(LkWork *w, Numeric l, Numeric p)
{
	LkRate		x;
	LkRaw		rl;
	LkRaw		rp;
	lk_acc		vl;
	lk_acc		vp;

	memset(&x, 0, sizeof(x));
	if (lk_raw_numeric(l, &rl) && lk_raw_numeric(p, &rp) &&
		rl.dscale <= LK_MANT_DIGITS && rp.dscale <= LK_MANT_DIGITS &&
		lk_raw_to_acc(&rl, &vl) && lk_raw_to_acc(&rp, &vp) &&
		vl <= LK_MANT_MAX && vl >= -LK_MANT_MAX &&
		vp <= LK_MANT_MAX && vp >= -LK_MANT_MAX)
	{
		x.kind = LK_RATE_FAST;
		x.l = (int64) vl;
		x.p = (int64) vp;
		x.ld = rl.dscale;
		x.pd = rp.dscale;
	}
	else
	{
		x.kind = LK_RATE_NUM;
		x.nl = l;
		x.np = p;
	}
	lk_best_take(w, &x);
}

/* the state's best list price and price as numerics (NULL if none) */
void
lk_best_values(const LkState *st, Numeric *l, Numeric *p)
{
	switch (st->best_kind)
	{
		case LK_BEST_FAST:
			*l = lk_acc_to_numeric(st->best_l, st->best_ld, st->best_ld);
			*p = lk_acc_to_numeric(st->best_p, st->best_pd, st->best_pd);
			break;
		case LK_BEST_NUM:
			*l = lk_tail(st, st->best_loff);
			*p = lk_tail(st, st->best_poff);
			break;
		default:
			*l = *p = NULL;
	}
}

/* ----------------------------------------------------------------------
 * Rows
 * ----------------------------------------------------------------------
 */
typedef struct LkRow
{
	LkVal		vals[LK_NSUMS];
	bool		discounted;		/* price < list price */
	bool		below;			/* price < floor */
	LkRate		rate;
} LkRow;

static inline void
lk_row_init(LkRow *row)
{
	int			i;

	for (i = 0; i < LK_NSUMS; i++)
		row->vals[i].present = false;
	row->discounted = false;
	row->below = false;
	row->rate.kind = LK_RATE_NONE;
}

static inline int
lk_cmp_num(const LkNum *a, const LkNum *b)
{
	if (a->d == b->d)
		return (a->m > b->m) ? 1 : ((a->m < b->m) ? -1 : 0);
	return lk_cmp_scaled(a->m, a->d, b->m, b->d);
}

/*
 * (a - b) * q in lk_acc at scale max(a.d, b.d) + q.d, as SQL computes it;
 * false if the difference has too many digits for the fast path.
 */
static inline bool
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
 * row).  Every path below takes the quantity either decoded (lk_qty_parse:
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
lk_qty_parse(FunctionCallInfo fcinfo, int qk, LkNum *q)
{
	int64		v;

	switch (qk)
	{
		case LK_QTY_ONE:
			*q = lk_one_num;
			return;
		case LK_QTY_NUMERIC:
			lk_parse(PG_GETARG_DATUM(3), q);
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
	switch (qk)
	{
		case LK_QTY_ONE:
			return lk_num_int(1);
		case LK_QTY_NUMERIC:
			return PG_GETARG_NUMERIC(3);
		default:
			return lk_num_int(lk_qty_int(fcinfo, qk));
	}
}

/* discount_leakage(list_price, price [, quantity]) */
static bool
lk_row_discount(FunctionCallInfo fcinfo, int qk, LkRow *row)
{
	LkNum		l,
				p,
				q;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (qk != LK_QTY_ONE && PG_ARGISNULL(3)))
		return false;
	lk_row_init(row);
	lk_parse(PG_GETARG_DATUM(1), &l);
	lk_parse(PG_GETARG_DATUM(2), &p);
	lk_qty_parse(fcinfo, qk, &q);
	if (!(l.fits && p.fits && q.fits &&
		  lk_diff_times(&l, &p, &q, &row->vals[LK_DISC])))
	{
		Numeric		nq = lk_qty_numeric(fcinfo, qk);

		lk_val_numeric(&row->vals[LK_DISC],
					   lk_num_mul(lk_num_sub(PG_GETARG_NUMERIC(1),
											 PG_GETARG_NUMERIC(2)), nq));
	}
	return true;
}

/* floor_leakage(price, floor [, quantity]) */
static bool
lk_row_floor(FunctionCallInfo fcinfo, int qk, LkRow *row)
{
	LkNum		p,
				f,
				q;

	if (PG_ARGISNULL(1) || (qk != LK_QTY_ONE && PG_ARGISNULL(3)))
		return false;
	lk_row_init(row);
	if (PG_ARGISNULL(2))
		return true;			/* no floor: counted, not below */
	lk_parse(PG_GETARG_DATUM(1), &p);
	lk_parse(PG_GETARG_DATUM(2), &f);
	lk_qty_parse(fcinfo, qk, &q);
	if (p.fits && f.fits && q.fits)
	{
		if (lk_cmp_num(&p, &f) >= 0)
			return true;
		row->below = true;
		if (lk_diff_times(&f, &p, &q, &row->vals[LK_FLOORSUM]))
			return true;
	}
	else
	{
		if (lk_num_cmp(PG_GETARG_NUMERIC(1), PG_GETARG_NUMERIC(2)) >= 0)
			return true;
		row->below = true;
	}
	lk_val_numeric(&row->vals[LK_FLOORSUM],
				   lk_num_mul(lk_num_sub(PG_GETARG_NUMERIC(2), PG_GETARG_NUMERIC(1)),
							  lk_qty_numeric(fcinfo, qk)));
	return true;
}

/* leakage(list_price, price [, quantity [, floor]]) */
static bool
lk_row_leakage(FunctionCallInfo fcinfo, int qk, LkRow *row)
{
	int			nargs = PG_NARGS();
	bool		has_q = qk != LK_QTY_ONE;
	bool		has_f = nargs > 4 && !PG_ARGISNULL(4);
	LkNum		l,
				p,
				q,
				f;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (has_q && PG_ARGISNULL(3)))
		return false;
	lk_row_init(row);
	lk_parse(PG_GETARG_DATUM(1), &l);
	lk_parse(PG_GETARG_DATUM(2), &p);
	lk_qty_parse(fcinfo, qk, &q);
	if (has_f)
		lk_parse(PG_GETARG_DATUM(4), &f);
	else
		f = lk_one_num;

	if (l.fits && p.fits && q.fits && f.fits)
	{
		lk_val_fast(&row->vals[LK_UNITS], q.m, q.d);
		lk_val_fast(&row->vals[LK_LIST], (lk_acc) l.m * q.m, l.d + q.d);
		lk_val_fast(&row->vals[LK_NET], (lk_acc) p.m * q.m, p.d + q.d);
		row->discounted = lk_cmp_num(&p, &l) < 0;
		if (l.m > 0)
		{
			row->rate.kind = LK_RATE_FAST;
			row->rate.l = l.m;
			row->rate.p = p.m;
			row->rate.ld = l.d;
			row->rate.pd = p.d;
		}
		if (has_f && lk_cmp_num(&p, &f) < 0)
		{
			row->below = true;
			if (!lk_diff_times(&f, &p, &q, &row->vals[LK_FLOORSUM]))
				lk_val_numeric(&row->vals[LK_FLOORSUM],
							   lk_num_mul(lk_num_sub(PG_GETARG_NUMERIC(4),
													 PG_GETARG_NUMERIC(2)),
										  lk_qty_numeric(fcinfo, qk)));
		}
	}
	else
	{
		Numeric		nl = PG_GETARG_NUMERIC(1);
		Numeric		np = PG_GETARG_NUMERIC(2);
		Numeric		nq = lk_qty_numeric(fcinfo, qk);

		lk_val_numeric(&row->vals[LK_UNITS], nq);
		lk_val_numeric(&row->vals[LK_LIST], lk_num_mul(nl, nq));
		lk_val_numeric(&row->vals[LK_NET], lk_num_mul(np, nq));
		row->discounted = lk_num_cmp(np, nl) < 0;
		if (lk_num_cmp(nl, lk_num_int(0)) > 0)
		{
			if (l.special != LK_FINITE || p.special != LK_FINITE)
			{
				/* the rate is NaN or infinite: as SQL computes it */
				Numeric		r = lk_num_div(lk_num_sub(nl, np), nl);
				LkRaw		rr;

				if (!lk_raw_numeric(r, &rr) || rr.special == LK_FINITE)
					elog(ERROR, "valuecheck: unexpected finite discount rate");
				row->rate.kind = LK_RATE_SPECIAL;
				row->rate.special = rr.special;
			}
			else if (l.fits && p.fits)
			{
				row->rate.kind = LK_RATE_FAST;
				row->rate.l = l.m;
				row->rate.p = p.m;
				row->rate.ld = l.d;
				row->rate.pd = p.d;
			}
			else
			{
				row->rate.kind = LK_RATE_NUM;
				row->rate.nl = nl;
				row->rate.np = np;
			}
		}
		if (has_f)
		{
			Numeric		nf = PG_GETARG_NUMERIC(4);

			if (lk_num_cmp(np, nf) < 0)
			{
				row->below = true;
				lk_val_numeric(&row->vals[LK_FLOORSUM],
							   lk_num_mul(lk_num_sub(nf, np), nq));
			}
		}
	}
	return true;
}

/*
 * Every other counter of a state is bounded by "lines" (the state's input
 * functions check that), so counting lines with a check is enough to keep
 * every state readable back.
 */
pg_noreturn static void
lk_counter_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("valuecheck.leakage_state counter out of range")));
}

static pg_attribute_always_inline void
lk_count_line(LkState *st)
{
	if (unlikely(st->lines == PG_INT64_MAX))
		lk_counter_overflow();
	st->lines++;
}

static void
lk_row_apply(LkWork *w, const LkRow *row, int sign)
{
	LkState    *st = w->st;
	int			i;

	if (sign > 0)
		lk_count_line(st);
	else
		st->lines--;
	if (row->discounted)
		st->discounted += sign;
	if (row->below)
		st->below += sign;
	for (i = 0; i < LK_NSUMS; i++)
		if (row->vals[i].present)
			lk_sum_apply(w, i, &row->vals[i], sign);
	if (row->rate.kind == LK_RATE_NONE)
		return;
	if (sign > 0)
		lk_rate_add(w, &row->rate);
	else if (row->rate.kind == LK_RATE_SPECIAL)
	{
		if (row->rate.special == LK_PINF)
			st->rate_pinf--;
		else if (row->rate.special == LK_NINF)
			st->rate_ninf--;
		else
			st->rate_nan--;
	}
	/* a finite rate below the maximum leaves the maximum as it is */
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
	switch (row->rate.kind)
	{
		case LK_RATE_NONE:
			return true;
		case LK_RATE_SPECIAL:
			if (row->rate.special == LK_PINF)
				return st->rate_pinf > 0;
			if (row->rate.special == LK_NINF)
				return st->rate_ninf > 0;
			return st->rate_nan > 0;
		default:
			{
				LkRate		best;

				/* the maximum (or a tie with it) leaving: start over */
				lk_best_rate(w, &best);
				return best.kind != LK_RATE_NONE && lk_rate_cmp(&row->rate, &best) < 0;
			}
	}
}

/* ----------------------------------------------------------------------
 * The hot path: forward transitions of rows whose inputs all fit, straight
 * into the state (in place), without building an LkRow.  Each returns false,
 * having changed nothing, when the row needs the general path.
 * ----------------------------------------------------------------------
 */
static pg_attribute_always_inline void
lk_hot_sum(LkWork *w, int idx, lk_acc v, int d)
{
	LkSum	   *s = &w->st->sums[idx];

	s->nfinite++;
	if (likely(d == s->maxd))
		s->maxd_count++;
	else if (d > s->maxd)
	{
		s->maxd = d;
		s->maxd_count = 1;
	}
	lk_add_acc(w, idx, v, d);
}

static pg_attribute_always_inline void
lk_hot_rate(LkWork *w, const LkNum *l, const LkNum *p)
{
	LkState    *st = w->st;
	bool		take;

	if (likely(st->best_kind == LK_BEST_FAST))
	{
		/* (l - p) / l > (bl - bp) / bl  <=>  p * bl < bp * l */
		lk_acc		a = (lk_acc) p->m * st->best_l;
		lk_acc		b = (lk_acc) st->best_p * l->m;
		int			as = p->d + st->best_ld;
		int			bs = st->best_pd + l->d;

		take = (as == bs) ? (a < b) : (lk_cmp_scaled(a, as, b, bs) < 0);
	}
	else if (st->best_kind == LK_BEST_NONE)
		take = true;
	else
	{
		LkRate		x;

		x.kind = LK_RATE_FAST;
		x.special = LK_FINITE;
		x.l = l->m;
		x.p = p->m;
		x.ld = l->d;
		x.pd = p->d;
		lk_rate_add(w, &x);
		return;
	}
	if (take)
	{
		st->best_kind = LK_BEST_FAST;
		st->best_l = l->m;
		st->best_p = p->m;
		st->best_ld = l->d;
		st->best_pd = p->d;
	}
}

static pg_attribute_always_inline bool
lk_hot_discount(FunctionCallInfo fcinfo, int qk, LkWork *w)
{
	bool		has_q = qk != LK_QTY_ONE;
	LkNum		l,
				p,
				q;
	LkVal		v;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (has_q && PG_ARGISNULL(3)))
		return false;
	lk_parse(PG_GETARG_DATUM(1), &l);
	lk_parse(PG_GETARG_DATUM(2), &p);
	lk_qty_parse(fcinfo, qk, &q);
	if (!(l.fits && p.fits && q.fits && lk_diff_times(&l, &p, &q, &v)))
		return false;
	lk_count_line(w->st);
	lk_hot_sum(w, LK_DISC, v.v, v.d);
	return true;
}

static pg_attribute_always_inline bool
lk_hot_floor(FunctionCallInfo fcinfo, int qk, LkWork *w)
{
	bool		has_q = qk != LK_QTY_ONE;
	LkNum		p,
				f,
				q;
	LkVal		v;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (has_q && PG_ARGISNULL(3)))
		return false;
	lk_parse(PG_GETARG_DATUM(1), &p);
	lk_parse(PG_GETARG_DATUM(2), &f);
	lk_qty_parse(fcinfo, qk, &q);
	if (!(p.fits && f.fits && q.fits))
		return false;
	if (lk_cmp_num(&p, &f) >= 0)
	{
		lk_count_line(w->st);
		return true;
	}
	if (!lk_diff_times(&f, &p, &q, &v))
		return false;
	lk_count_line(w->st);
	w->st->below++;
	lk_hot_sum(w, LK_FLOORSUM, v.v, v.d);
	return true;
}

static pg_attribute_always_inline bool
lk_hot_leakage(FunctionCallInfo fcinfo, int qk, LkWork *w)
{
	int			nargs = PG_NARGS();
	bool		has_q = qk != LK_QTY_ONE;
	bool		has_f = nargs > 4 && !PG_ARGISNULL(4);
	LkState    *st = w->st;
	LkNum		l,
				p,
				q,
				f;
	LkVal		fv;
	bool		below = false;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (has_q && PG_ARGISNULL(3)))
		return false;
	lk_parse(PG_GETARG_DATUM(1), &l);
	lk_parse(PG_GETARG_DATUM(2), &p);
	lk_qty_parse(fcinfo, qk, &q);
	if (!(l.fits && p.fits && q.fits))
		return false;
	if (has_f)
	{
		lk_parse(PG_GETARG_DATUM(4), &f);
		if (!f.fits)
			return false;
		if (lk_cmp_num(&p, &f) < 0)
		{
			if (!lk_diff_times(&f, &p, &q, &fv))
				return false;
			below = true;
		}
	}

	lk_count_line(st);
	lk_hot_sum(w, LK_UNITS, q.m, q.d);
	lk_hot_sum(w, LK_LIST, (lk_acc) l.m * q.m, l.d + q.d);
	lk_hot_sum(w, LK_NET, (lk_acc) p.m * q.m, p.d + q.d);
	if (lk_cmp_num(&p, &l) < 0)
		st->discounted++;
	if (below)
	{
		st->below++;
		lk_hot_sum(w, LK_FLOORSUM, fv.v, fv.d);
	}
	if (l.m > 0)
		lk_hot_rate(w, &l, &p);
	return true;
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
static pg_noinline Datum
lk_transition(FunctionCallInfo fcinfo, int kind, int qk, bool inverse)
{
	LkState    *st;
	LkRow		row;
	LkWork		w;
	bool		use;

	if (PG_ARGISNULL(0))
	{
		if (inverse)
			PG_RETURN_NULL();	/* nothing to take a row out of */
		st = lk_new_state(kind);
	}
	else
		st = lk_state_arg(PG_GETARG_DATUM(0), kind,
						  AggCheckCallContext(fcinfo, NULL) != 0);

	switch (kind)
	{
		case LK_DISCOUNT:
			use = lk_row_discount(fcinfo, qk, &row);
			break;
		case LK_FLOOR:
			use = lk_row_floor(fcinfo, qk, &row);
			break;
		default:
			use = lk_row_leakage(fcinfo, qk, &row);
			break;
	}
	if (!use)
		PG_RETURN_POINTER(st);

	lk_work_begin(&w, st);
	if (inverse && !lk_row_removable(&w, &row))
		PG_RETURN_NULL();		/* the executor recomputes the frame */
	lk_row_apply(&w, &row, inverse ? -1 : 1);
	PG_RETURN_POINTER(lk_work_finish(&w));
}

/*
 * The state to update in place on the hot path, or NULL: only when called
 * as an aggregate (as AggCheckCallContext() tells, inlined here) with a
 * state of this kind, which then is the executor's transition value, a
 * varlena this library built in the aggregate context.
 */
static pg_attribute_always_inline LkState *
lk_hot_state(FunctionCallInfo fcinfo, int kind)
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
 * The forward transition: the hot path in place when it can, else the
 * general one.  kind and qk are constants at every call, so each entry point
 * gets its own specialized copy.
 */
static pg_attribute_always_inline Datum
lk_forward(FunctionCallInfo fcinfo, int kind, int qk)
{
	LkState    *st = lk_hot_state(fcinfo, kind);
	LkWork		w;
	bool		done;

	if (likely(st != NULL))
	{
		lk_work_begin(&w, st);
		switch (kind)
		{
			case LK_DISCOUNT:
				done = lk_hot_discount(fcinfo, qk, &w);
				break;
			case LK_FLOOR:
				done = lk_hot_floor(fcinfo, qk, &w);
				break;
			default:
				done = lk_hot_leakage(fcinfo, qk, &w);
				break;
		}
		/* the hot path changes only the fixed part: the state stays in place */
		if (likely(done))
			PG_RETURN_POINTER(likely(!w.dirty) ? w.st : lk_work_finish(&w));
	}
	return lk_transition(fcinfo, kind, qk, false);
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
	return lk_transition(fcinfo, kind, \
						 PG_NARGS() > 3 ? LK_QTY_NUMERIC : LK_QTY_ONE, true); \
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
	return lk_transition(fcinfo, kind, qk, true); \
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
static int64
lk_add_count(int64 a, int64 b)
{
	int64		r;

	if (pg_add_s64_overflow(a, b, &r))
		lk_counter_overflow();
	return r;
}

Datum
valuecheck_leakage_state_combine(PG_FUNCTION_ARGS)
{
	LkState    *a;
	LkState    *b;
	LkWork		w;
	LkWork		wb;
	LkRate		bbest;
	LkRate		abest;
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
	{
		LkSum	   *sa = &a->sums[i];
		LkSum	   *sb = &b->sums[i];

		sa->nan = lk_add_count(sa->nan, sb->nan);
		sa->pinf = lk_add_count(sa->pinf, sb->pinf);
		sa->ninf = lk_add_count(sa->ninf, sb->ninf);
		if (sb->nfinite == 0)
			continue;
		if (sa->nfinite == 0 || sb->maxd > sa->maxd)
		{
			sa->maxd = sb->maxd;
			sa->maxd_count = sb->maxd_count;
		}
		else if (sb->maxd == sa->maxd)
			sa->maxd_count = lk_add_count(sa->maxd_count, sb->maxd_count);
		sa->nfinite = lk_add_count(sa->nfinite, sb->nfinite);
		if (sb->fast != 0)
			lk_add_acc(&w, i, sb->fast, sb->scale);
		if (wb.ovf[i])
			lk_ovf_add(&w, i, wb.ovf[i]);
	}
	a->rate_nan = lk_add_count(a->rate_nan, b->rate_nan);
	a->rate_pinf = lk_add_count(a->rate_pinf, b->rate_pinf);
	a->rate_ninf = lk_add_count(a->rate_ninf, b->rate_ninf);
	lk_best_rate(&wb, &bbest);
	if (bbest.kind != LK_RATE_NONE)
	{
		lk_best_rate(&w, &abest);
		if (abest.kind == LK_RATE_NONE || lk_rate_cmp(&bbest, &abest) > 0)
			lk_best_take(&w, &bbest);
	}
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

/* max((list - price) / list) over rows with list > 0, ordered as max() does */
static Numeric
lk_max_rate(const LkState *st)
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
	max_rate = lk_max_rate(st);
	if (max_rate == NULL)
		nulls[LKS_MAX_DISCOUNT_RATE] = true;
	else
		values[LKS_MAX_DISCOUNT_RATE] = NumericGetDatum(max_rate);
	values[LKS_BELOW_FLOOR_LINES] = Int64GetDatum(st->below);
	values[LKS_FLOOR_LEAKAGE] = NumericGetDatum(lk_floor_result(st));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
