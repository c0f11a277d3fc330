/*
 * leakage_state_io.c
 *		Text and binary input/output of valuecheck.leakage_state, the
 *		transition state of the discount-leakage aggregates.
 *
 * Text form (version 1), one line of space-separated fields in a fixed
 * order that depends on the aggregate the state belongs to:
 *
 *	v1:discount_leakage lines=N discount=SUM
 *	v1:floor_leakage lines=N below_floor_lines=N floor_leakage=SUM
 *	v1:leakage lines=N discounted_lines=N below_floor_lines=N units=SUM
 *		list_revenue=SUM net_revenue=SUM floor_leakage=SUM max_rate=RATE
 *
 * SUM is  value/finite/max_scale/max_scale_count/nan/pinf/ninf : the exact
 * sum of the finite values (a numeric), how many finite values were summed,
 * the largest display scale among them and how many have it, and how many
 * NaN, +Infinity and -Infinity values were summed.  RATE is
 * list/price/nan/pinf/ninf : the list price and price of the row with the
 * largest discount rate ("-/-" when no row with a positive list price has
 * a finite rate) and how many rows had a NaN, +Infinity or -Infinity rate.
 * For example:
 *
 *	v1:discount_leakage lines=2 discount=12.50/2/2/1/0/0/0
 *
 * Binary form: a version byte (1), the kind byte (1 discount_leakage,
 * 2 floor_leakage, 3 leakage), then the same fields in the same order:
 * counts as int64, scales as int32, numerics as an int32 length followed by
 * numeric's own binary form, and for RATE a byte saying whether list/price
 * follow.
 *
 * Both inputs check everything they read (numerics go through numeric_in
 * and numeric_recv) and that the counts are consistent, and refuse anything
 * else with a clean error.
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "leakage_rate.h"
#include "leakage_sum.h"

PG_FUNCTION_INFO_V1(valuecheck_leakage_state_in);
PG_FUNCTION_INFO_V1(valuecheck_leakage_state_out);
PG_FUNCTION_INFO_V1(valuecheck_leakage_state_recv);
PG_FUNCTION_INFO_V1(valuecheck_leakage_state_send);

#define LK_FORMAT_VERSION	1
#define LK_TYPE_NAME		"valuecheck.leakage_state"


static const char *const lk_sum_names[LK_NSUMS] = {
	"units", "list_revenue", "net_revenue", "floor_leakage", "discount"
};

/* a state as read, before it is checked and built */
typedef struct LkParsedSum
{
	Numeric		value;
	int64		nfinite;
	int64		maxd;
	int64		maxd_count;
	int64		nan;
	int64		pinf;
	int64		ninf;
} LkParsedSum;

typedef struct LkParsed
{
	int			kind;
	int64		lines;
	int64		discounted;
	int64		below;
	LkParsedSum sums[LK_NSUMS];
	Numeric		best_l;			/* NULL if none */
	Numeric		best_p;
	int64		rate_nan;
	int64		rate_pinf;
	int64		rate_ninf;
} LkParsed;

static bool
lk_kind_has_discounted(int kind)
{
	return kind == LK_LEAKAGE;
}

static bool
lk_kind_has_below(int kind)
{
	return kind == LK_FLOOR || kind == LK_LEAKAGE;
}

static bool
lk_kind_has_rate(int kind)
{
	return kind == LK_LEAKAGE;
}

static int
lk_kind_from_name(const char *name)
{
	int			kind;

	for (kind = LK_DISCOUNT; kind <= LK_LEAKAGE; kind++)
		if (strcmp(name, lk_kind_name(kind)) == 0)
			return kind;
	return 0;
}

/* what the checks need to know of a numeric as read */
static void
lk_numeric_info(Numeric n, bool *special, int *dscale, bool *zero, bool *positive)
{
	LkRaw		r;
	int			c;

	if (!lk_raw_of(n, &r))
		elog(ERROR, "valuecheck: unreadable numeric value");
	*special = r.special != LK_FINITE;
	if (*special)
		return;
	*dscale = r.dscale;
	c = lk_num_cmp(n, lk_num_int(0));
	*zero = (c == 0);
	*positive = (c > 0);
}

/*
 * What is wrong with a state as read, or NULL.  Counts are non-negative
 * already; here: scales in range, values finite, and counts that agree.
 */
static const char *
lk_problem(const LkParsed *ps)
{
	int			idx;
	bool		special;
	int			dscale = 0;
	bool		zero = false;
	bool		positive = false;

	if (ps->discounted > ps->lines)
		return "discounted_lines exceeds lines";
	if (ps->below > ps->lines)
		return "below_floor_lines exceeds lines";
	for (idx = 0; idx < LK_NSUMS; idx++)
	{
		const LkParsedSum *s = &ps->sums[idx];
		int64		left;

		if (!lk_kind_has_sum(ps->kind, idx))
			continue;
		/* below-floor rows alone add to the floor leakage */
		left = (idx == LK_FLOORSUM) ? ps->below : ps->lines;
		if ((left -= s->nfinite) < 0 || (left -= s->nan) < 0 ||
			(left -= s->pinf) < 0 || (left -= s->ninf) < 0)
			return psprintf("%s sums more values than there are rows", lk_sum_names[idx]);
#if !VC_NUMERIC_HAS_INFINITY
		if (s->pinf != 0 || s->ninf != 0)
			return psprintf("%s counts infinities, which this server's numeric lacks",
							lk_sum_names[idx]);
#endif
		if (s->maxd > LK_DSCALE_MAX)
			return psprintf("%s has a display scale out of range", lk_sum_names[idx]);
		if (s->maxd_count > s->nfinite)
			return psprintf("%s counts more values of its largest scale than values",
							lk_sum_names[idx]);
		lk_numeric_info(s->value, &special, &dscale, &zero, &positive);
		if (special)
			return psprintf("%s must be finite", lk_sum_names[idx]);
		if (dscale > s->maxd)
			return psprintf("%s has more decimal digits than its largest scale",
							lk_sum_names[idx]);
		if (s->nfinite == 0 && (s->maxd != 0 || s->maxd_count != 0 || !zero))
			return psprintf("%s has no finite values but a value or scale", lk_sum_names[idx]);
		if (s->nfinite > 0 && s->maxd_count == 0)
			return psprintf("%s has no value of its largest scale", lk_sum_names[idx]);
	}
	if (lk_kind_has_rate(ps->kind))
	{
		int64		left = ps->lines;

		if ((left -= ps->rate_nan) < 0 || (left -= ps->rate_pinf) < 0 ||
			(left -= ps->rate_ninf) < 0 || (ps->best_l != NULL && left == 0))
			return "max_rate counts more rows than there are";
#if !VC_NUMERIC_HAS_INFINITY
		if (ps->rate_pinf != 0 || ps->rate_ninf != 0)
			return "max_rate counts infinities, which this server's numeric lacks";
#endif
		if (ps->best_l != NULL)
		{
			lk_numeric_info(ps->best_l, &special, &dscale, &zero, &positive);
			if (special || !positive)
				return "max_rate list price must be finite and positive";
			lk_numeric_info(ps->best_p, &special, &dscale, &zero, &positive);
			if (special)
				return "max_rate price must be finite";
		}
	}
	return NULL;
}

static LkState *
lk_build(const LkParsed *ps)
{
	LkState    *st = lk_new_state(ps->kind);
	LkWork		w;
	int			idx;

	lk_work_begin(&w, st);
	st->lines = ps->lines;
	st->discounted = ps->discounted;
	st->below = ps->below;
	for (idx = 0; idx < LK_NSUMS; idx++)
	{
		const LkParsedSum *s = &ps->sums[idx];
		LkSum	   *t = &st->sums[idx];

		if (!lk_kind_has_sum(ps->kind, idx))
			continue;
		t->nfinite = s->nfinite;
		t->maxd = (int32) s->maxd;
		t->maxd_count = s->maxd_count;
		t->nan = s->nan;
		t->pinf = s->pinf;
		t->ninf = s->ninf;
		lk_sum_set(&w, idx, s->value);
	}
	st->rate_nan = ps->rate_nan;
	st->rate_pinf = ps->rate_pinf;
	st->rate_ninf = ps->rate_ninf;
	if (ps->best_l != NULL)
		lk_best_set(&w, ps->best_l, ps->best_p);
	return lk_work_finish(&w);
}

static void
lk_parsed_init(LkParsed *ps, int kind)
{
	int			idx;

	memset(ps, 0, sizeof(*ps));
	ps->kind = kind;
	for (idx = 0; idx < LK_NSUMS; idx++)
		ps->sums[idx].value = vc_int64_to_numeric(0);
}

/* ----------------------------------------------------------------------
 * Text
 * ----------------------------------------------------------------------
 */
typedef struct LkText
{
	const char *input;			/* for messages */
	char	   *pos;			/* in a private copy */
} LkText;

pg_noreturn static void lk_text_error(const LkText *t, const char *detail);

static void
lk_text_error(const LkText *t, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", LK_TYPE_NAME, t->input),
			 errdetail("%s", detail)));
}

/* the next space-separated token, or NULL at the end */
static char *
lk_text_token(LkText *t)
{
	char	   *start;

	while (*t->pos && isspace((unsigned char) *t->pos))
		t->pos++;
	if (*t->pos == '\0')
		return NULL;
	start = t->pos;
	while (*t->pos && !isspace((unsigned char) *t->pos))
		t->pos++;
	if (*t->pos)
		*t->pos++ = '\0';
	return start;
}

/* the value of the next field, which must be called name */
static char *
lk_text_field(LkText *t, const char *name)
{
	char	   *tok = lk_text_token(t);
	size_t		len = strlen(name);

	if (tok == NULL)
		lk_text_error(t, psprintf("Field \"%s\" is missing.", name));
	if (strncmp(tok, name, len) != 0 || tok[len] != '=')
		lk_text_error(t, psprintf("Expected field \"%s\", found \"%s\".", name, tok));
	return tok + len + 1;
}

static int64
lk_text_count(LkText *t, const char *what, const char *s)
{
	int64		v = 0;
	const char *p = s;

	if (*p == '-')
		lk_text_error(t, psprintf("%s must not be negative.", what));
	if (*p == '\0')
		lk_text_error(t, psprintf("%s is empty.", what));
	for (; *p; p++)
	{
		if (*p < '0' || *p > '9')
			lk_text_error(t, psprintf("%s is not a whole number: \"%s\".", what, s));
		if (pg_mul_s64_overflow(v, 10, &v) || pg_add_s64_overflow(v, *p - '0', &v))
			lk_text_error(t, psprintf("%s is out of range.", what));
	}
	return v;
}

static Numeric
lk_text_numeric(LkText *t, const char *what, const char *s)
{
	if (*s == '\0')
		lk_text_error(t, psprintf("%s is empty.", what));
	/* numeric_in refuses malformed numbers with its own clean error */
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

/* split s at '/' into exactly n parts */
static void
lk_text_split(LkText *t, const char *name, char *s, char **parts, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		char	   *slash = strchr(s, '/');

		parts[i] = s;
		if (i < n - 1)
		{
			if (slash == NULL)
				lk_text_error(t, psprintf("Field \"%s\" needs %d parts separated by \"/\".", name, n));
			*slash = '\0';
			s = slash + 1;
		}
		else if (slash != NULL)
			lk_text_error(t, psprintf("Field \"%s\" needs %d parts separated by \"/\".", name, n));
	}
}

Datum
valuecheck_leakage_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LkText		t;
	LkParsed	ps;
	char	   *tok;
	char	   *colon;
	int			kind;
	int			idx;
	const char *problem;

	t.input = str;
	t.pos = pstrdup(str);

	tok = lk_text_token(&t);
	if (tok == NULL)
		lk_text_error(&t, "The value is empty.");
	colon = strchr(tok, ':');
	if (tok[0] != 'v' || colon == NULL)
		lk_text_error(&t, "It must start with a version and kind, such as \"v1:leakage\".");
	*colon = '\0';
	if (strcmp(tok + 1, "1") != 0)
		lk_text_error(&t, psprintf("Version \"%s\" is not supported; this server reads version %d.",
								   tok + 1, LK_FORMAT_VERSION));
	kind = lk_kind_from_name(colon + 1);
	if (kind == 0)
		lk_text_error(&t, psprintf("Unknown aggregate \"%s\".", colon + 1));

	lk_parsed_init(&ps, kind);
	ps.lines = lk_text_count(&t, "lines", lk_text_field(&t, "lines"));
	if (lk_kind_has_discounted(kind))
		ps.discounted = lk_text_count(&t, "discounted_lines",
									  lk_text_field(&t, "discounted_lines"));
	if (lk_kind_has_below(kind))
		ps.below = lk_text_count(&t, "below_floor_lines",
								 lk_text_field(&t, "below_floor_lines"));
	for (idx = 0; idx < LK_NSUMS; idx++)
	{
		LkParsedSum *s = &ps.sums[idx];
		const char *name = lk_sum_names[idx];
		char	   *parts[7];

		if (!lk_kind_has_sum(kind, idx))
			continue;
		lk_text_split(&t, name, lk_text_field(&t, name), parts, 7);
		s->value = lk_text_numeric(&t, name, parts[0]);
		s->nfinite = lk_text_count(&t, "the count of finite values", parts[1]);
		s->maxd = lk_text_count(&t, "the largest scale", parts[2]);
		s->maxd_count = lk_text_count(&t, "the count of values of the largest scale", parts[3]);
		s->nan = lk_text_count(&t, "the count of NaN values", parts[4]);
		s->pinf = lk_text_count(&t, "the count of Infinity values", parts[5]);
		s->ninf = lk_text_count(&t, "the count of -Infinity values", parts[6]);
	}
	if (lk_kind_has_rate(kind))
	{
		char	   *parts[5];

		lk_text_split(&t, "max_rate", lk_text_field(&t, "max_rate"), parts, 5);
		if (strcmp(parts[0], "-") == 0 && strcmp(parts[1], "-") == 0)
			ps.best_l = ps.best_p = NULL;
		else if (strcmp(parts[0], "-") == 0 || strcmp(parts[1], "-") == 0)
			lk_text_error(&t, "max_rate needs both a list price and a price, or neither.");
		else
		{
			ps.best_l = lk_text_numeric(&t, "max_rate list price", parts[0]);
			ps.best_p = lk_text_numeric(&t, "max_rate price", parts[1]);
		}
		ps.rate_nan = lk_text_count(&t, "the count of NaN rates", parts[2]);
		ps.rate_pinf = lk_text_count(&t, "the count of Infinity rates", parts[3]);
		ps.rate_ninf = lk_text_count(&t, "the count of -Infinity rates", parts[4]);
	}
	tok = lk_text_token(&t);
	if (tok != NULL)
		lk_text_error(&t, psprintf("Unexpected \"%s\" after the last field.", tok));

	problem = lk_problem(&ps);
	if (problem)
		lk_text_error(&t, psprintf("Inconsistent state: %s.", problem));

	PG_RETURN_POINTER(lk_build(&ps));
}

static void
lk_out_numeric(StringInfo buf, Numeric n)
{
	appendStringInfoString(buf, DatumGetCString(DirectFunctionCall1(numeric_out,
																	NumericGetDatum(n))));
}

Datum
valuecheck_leakage_state_out(PG_FUNCTION_ARGS)
{
	LkState    *st = lk_state_ro(PG_GETARG_DATUM(0), 0);
	StringInfoData buf;
	int			idx;

	initStringInfo(&buf);
	appendStringInfo(&buf, "v%d:%s lines=" INT64_FORMAT,
					 LK_FORMAT_VERSION, lk_kind_name(st->kind), st->lines);
	if (lk_kind_has_discounted(st->kind))
		appendStringInfo(&buf, " discounted_lines=" INT64_FORMAT, st->discounted);
	if (lk_kind_has_below(st->kind))
		appendStringInfo(&buf, " below_floor_lines=" INT64_FORMAT, st->below);
	for (idx = 0; idx < LK_NSUMS; idx++)
	{
		const LkSum *s = &st->sums[idx];

		if (!lk_kind_has_sum(st->kind, idx))
			continue;
		appendStringInfo(&buf, " %s=", lk_sum_names[idx]);
		lk_out_numeric(&buf, lk_sum_value(st, idx));
		appendStringInfo(&buf, "/" INT64_FORMAT "/%d/" INT64_FORMAT "/" INT64_FORMAT
						 "/" INT64_FORMAT "/" INT64_FORMAT,
						 s->nfinite, s->maxd, s->maxd_count, s->nan, s->pinf, s->ninf);
	}
	if (lk_kind_has_rate(st->kind))
	{
		Numeric		l;
		Numeric		p;

		appendStringInfoString(&buf, " max_rate=");
		lk_best_values(st, &l, &p);
		if (l == NULL)
			appendStringInfoString(&buf, "-/-");
		else
		{
			lk_out_numeric(&buf, l);
			appendStringInfoChar(&buf, '/');
			lk_out_numeric(&buf, p);
		}
		appendStringInfo(&buf, "/" INT64_FORMAT "/" INT64_FORMAT "/" INT64_FORMAT,
						 st->rate_nan, st->rate_pinf, st->rate_ninf);
	}
	PG_RETURN_CSTRING(buf.data);
}

/* ----------------------------------------------------------------------
 * Binary
 * ----------------------------------------------------------------------
 */
static void
lk_bin_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary data for type %s", LK_TYPE_NAME),
			 errdetail("%s", detail)));
}

static void
lk_bin_need(StringInfo buf, int n)
{
	if (n < 0 || buf->len - buf->cursor < n)
		lk_bin_error("The data is truncated.");
}

static int
lk_bin_byte(StringInfo buf)
{
	lk_bin_need(buf, 1);
	return pq_getmsgbyte(buf);
}

static int64
lk_bin_count(StringInfo buf, const char *what)
{
	int64		v;

	lk_bin_need(buf, 8);
	v = pq_getmsgint64(buf);
	if (v < 0)
		lk_bin_error(psprintf("%s must not be negative.", what));
	return v;
}

static int64
lk_bin_scale(StringInfo buf)
{
	int32		v;

	lk_bin_need(buf, 4);
	v = (int32) pq_getmsgint(buf, 4);
	if (v < 0)
		lk_bin_error("A display scale must not be negative.");
	return v;
}

/* an int32 length, then numeric's binary form, read by numeric_recv */
static Numeric
lk_bin_numeric(StringInfo buf, const char *what)
{
	int32		len;
	int			ndigits;
	StringInfoData sub;
	char		saved;
	Numeric		n;

	lk_bin_need(buf, 4);
	len = (int32) pq_getmsgint(buf, 4);
	if (len < 0)
		lk_bin_error(psprintf("The length of %s is negative.", what));
	lk_bin_need(buf, len);
	/*
	 * numeric_send: ndigits, weight, sign, dscale (16 bits each), then the
	 * digits; numeric_recv reads ndigits as unsigned, and so do we (a sum
	 * can have more than 32767 base-10000 digits).
	 */
	if (len < 8)
		lk_bin_error(psprintf("%s is too short.", what));
	ndigits = (uint16) (((unsigned char) buf->data[buf->cursor] << 8) |
						(unsigned char) buf->data[buf->cursor + 1]);
	if (len != 8 + 2 * ndigits)
		lk_bin_error(psprintf("The length of %s does not match its digits.", what));

	/* a sub-message over the bytes, null-terminated as StringInfos are */
	sub.data = &buf->data[buf->cursor];
	sub.len = len;
	sub.maxlen = len;
	sub.cursor = 0;
	saved = buf->data[buf->cursor + len];
	buf->data[buf->cursor + len] = '\0';
	n = DatumGetNumeric(DirectFunctionCall3(numeric_recv, PointerGetDatum(&sub),
											ObjectIdGetDatum(InvalidOid),
											Int32GetDatum(-1)));
	buf->data[buf->cursor + len] = saved;
	if (sub.cursor != len)
		lk_bin_error(psprintf("%s has trailing bytes.", what));
	buf->cursor += len;
	return n;
}

static void
lk_send_numeric(StringInfo buf, Numeric n)
{
	bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(n)));

	pq_sendint32(buf, (int32) VARSIZE_ANY_EXHDR(b));
	pq_sendbytes(buf, (char *) VARDATA_ANY(b), (int) VARSIZE_ANY_EXHDR(b));
}

Datum
valuecheck_leakage_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	LkParsed	ps;
	int			version;
	int			kind;
	int			idx;
	const char *problem;

	version = lk_bin_byte(buf);
	if (version != LK_FORMAT_VERSION)
		lk_bin_error(psprintf("Version %d is not supported; this server reads version %d.",
							  version, LK_FORMAT_VERSION));
	kind = lk_bin_byte(buf);
	if (kind < LK_DISCOUNT || kind > LK_LEAKAGE)
		lk_bin_error(psprintf("Unknown aggregate kind %d.", kind));

	lk_parsed_init(&ps, kind);
	ps.lines = lk_bin_count(buf, "lines");
	if (lk_kind_has_discounted(kind))
		ps.discounted = lk_bin_count(buf, "discounted_lines");
	if (lk_kind_has_below(kind))
		ps.below = lk_bin_count(buf, "below_floor_lines");
	for (idx = 0; idx < LK_NSUMS; idx++)
	{
		LkParsedSum *s = &ps.sums[idx];

		if (!lk_kind_has_sum(kind, idx))
			continue;
		s->value = lk_bin_numeric(buf, lk_sum_names[idx]);
		s->nfinite = lk_bin_count(buf, "A count of values");
		s->maxd = lk_bin_scale(buf);
		s->maxd_count = lk_bin_count(buf, "A count of values");
		s->nan = lk_bin_count(buf, "A count of values");
		s->pinf = lk_bin_count(buf, "A count of values");
		s->ninf = lk_bin_count(buf, "A count of values");
	}
	if (lk_kind_has_rate(kind))
	{
		int			has_best = lk_bin_byte(buf);

		if (has_best != 0 && has_best != 1)
			lk_bin_error("The max_rate flag must be 0 or 1.");
		if (has_best)
		{
			ps.best_l = lk_bin_numeric(buf, "max_rate list price");
			ps.best_p = lk_bin_numeric(buf, "max_rate price");
		}
		ps.rate_nan = lk_bin_count(buf, "A count of rates");
		ps.rate_pinf = lk_bin_count(buf, "A count of rates");
		ps.rate_ninf = lk_bin_count(buf, "A count of rates");
	}
	if (buf->cursor != buf->len)
		lk_bin_error("There are bytes after the last field.");
	pq_getmsgend(buf);

	problem = lk_problem(&ps);
	if (problem)
		lk_bin_error(psprintf("Inconsistent state: %s.", problem));

	PG_RETURN_POINTER(lk_build(&ps));
}

Datum
valuecheck_leakage_state_send(PG_FUNCTION_ARGS)
{
	LkState    *st = lk_state_ro(PG_GETARG_DATUM(0), 0);
	StringInfoData buf;
	int			idx;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, LK_FORMAT_VERSION);
	pq_sendbyte(&buf, st->kind);
	pq_sendint64(&buf, st->lines);
	if (lk_kind_has_discounted(st->kind))
		pq_sendint64(&buf, st->discounted);
	if (lk_kind_has_below(st->kind))
		pq_sendint64(&buf, st->below);
	for (idx = 0; idx < LK_NSUMS; idx++)
	{
		const LkSum *s = &st->sums[idx];

		if (!lk_kind_has_sum(st->kind, idx))
			continue;
		lk_send_numeric(&buf, lk_sum_value(st, idx));
		pq_sendint64(&buf, s->nfinite);
		pq_sendint32(&buf, s->maxd);
		pq_sendint64(&buf, s->maxd_count);
		pq_sendint64(&buf, s->nan);
		pq_sendint64(&buf, s->pinf);
		pq_sendint64(&buf, s->ninf);
	}
	if (lk_kind_has_rate(st->kind))
	{
		Numeric		l;
		Numeric		p;

		lk_best_values(st, &l, &p);
		pq_sendbyte(&buf, l != NULL ? 1 : 0);
		if (l != NULL)
		{
			lk_send_numeric(&buf, l);
			lk_send_numeric(&buf, p);
		}
		pq_sendint64(&buf, st->rate_nan);
		pq_sendint64(&buf, st->rate_pinf);
		pq_sendint64(&buf, st->rate_ninf);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
