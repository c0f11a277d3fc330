/*
 * mapped_value.c
 *		Reading a mapped column's value the one way valuecheck reads it, in
 *		the trigger and in the reports alike: key columns (product,
 *		campaign, rep, currency, approval) by their type's output function
 *		(text and varchar as they are, char(n) without its padding), prices
 *		and quantities as numeric, ordered_at as timestamptz.
 *
 * The reports run with the caller's rights over a table someone else may
 * own.  A cast such as t.sku::text would run whatever cast the owner of
 * the column's type defined; a type's output function is C written by a
 * superuser.  So the reports read mapped columns through the SQL-callable
 * readers below (valuecheck.mapped_text/_numeric/_time), never through a
 * cast or an operator of the column's type.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "valuecheck.h"

PG_FUNCTION_INFO_V1(valuecheck_mapped_text);
PG_FUNCTION_INFO_V1(valuecheck_mapped_numeric);
PG_FUNCTION_INFO_V1(valuecheck_mapped_time);

/*
 * The text form of a key column's value.  With "len", text and varchar
 * values may be returned in place (not terminated); without, the result
 * is always a palloc'd C string.
 */
char *
mapped_key_text(Datum value, Oid basetype, FmgrInfo *output, int *len)
{
	char	   *s;

	if (basetype == TEXTOID || basetype == VARCHAROID)
	{
		text	   *t = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));

		if (len)
		{
			*len = VARSIZE_ANY_EXHDR(t);
			return VARDATA_ANY(t);
		}
		return text_to_cstring(t);
	}
	if (basetype == BPCHAROID)
	{
		/*
		 * char(n): its text form is what ::text gives, without the padding
		 * (bpcharout would keep it, and 'SKU-1   ' would match no floor).
		 */
		BpChar	   *b = DatumGetBpCharPP(value);
		const char *p = VARDATA_ANY(b);
		int			n = VARSIZE_ANY_EXHDR(b);

		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (len)
			*len = n;
		return pnstrdup(p, n);
	}
	s = OutputFunctionCall(output, value);
	if (len)
		*len = strlen(s);
	return s;
}

/* What a reader needs of its argument's type, kept in fn_extra. */
typedef struct MappedReader
{
	Oid			argtype;
	Oid			basetype;
	FmgrInfo	output;
} MappedReader;

static MappedReader *
mapped_reader(FunctionCallInfo fcinfo, bool need_output)
{
	MappedReader *r = (MappedReader *) fcinfo->flinfo->fn_extra;
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);

	if (!OidIsValid(argtype))
		elog(ERROR, "could not determine the type of a mapped column");
	if (r == NULL || r->argtype != argtype)
	{
		if (r == NULL)
			r = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(MappedReader));
		r->argtype = argtype;
		r->basetype = getBaseType(argtype);
		if (need_output)
		{
			Oid			outfunc;
			bool		isvarlena;

			getTypeOutputInfo(argtype, &outfunc, &isvarlena);
			fmgr_info_cxt(outfunc, &r->output, fcinfo->flinfo->fn_mcxt);
		}
		fcinfo->flinfo->fn_extra = r;
	}
	return r;
}

/* valuecheck.mapped_text(anyelement): a key column's text form */
Datum
valuecheck_mapped_text(PG_FUNCTION_ARGS)
{
	MappedReader *r = mapped_reader(fcinfo, true);

	PG_RETURN_TEXT_P(cstring_to_text(mapped_key_text(PG_GETARG_DATUM(0), r->basetype,
													 &r->output, NULL)));
}

/* valuecheck.mapped_numeric(anyelement): a price or quantity as numeric */
Datum
valuecheck_mapped_numeric(PG_FUNCTION_ARGS)
{
	MappedReader *r = mapped_reader(fcinfo, false);

	if (!price_type_ok(r->basetype))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a column of type %s cannot be read as a price or quantity",
						format_type_be(r->argtype)),
				 errhint("Use numeric, smallint, integer, bigint, real or double precision, or call valuecheck.protect() again.")));
	PG_RETURN_NUMERIC(price_to_numeric(PG_GETARG_DATUM(0), r->basetype));
}

/* valuecheck.mapped_time(anyelement): ordered_at as timestamptz */
Datum
valuecheck_mapped_time(PG_FUNCTION_ARGS)
{
	MappedReader *r = mapped_reader(fcinfo, false);

	switch (r->basetype)
	{
		case TIMESTAMPTZOID:
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		case TIMESTAMPOID:
			PG_RETURN_DATUM(DirectFunctionCall1(timestamp_timestamptz, PG_GETARG_DATUM(0)));
		case DATEOID:
			PG_RETURN_DATUM(DirectFunctionCall1(date_timestamptz, PG_GETARG_DATUM(0)));
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("a column of type %s cannot be read as an ordered_at time",
							format_type_be(r->argtype)),
					 errhint("Use timestamp with time zone, timestamp or date, or call valuecheck.protect() again.")));
	}
	PG_RETURN_NULL();			/* keep compiler quiet */
}
