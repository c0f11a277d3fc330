/*
 * price.c
 *		Prices as numeric: every price column type is turned into numeric by
 *		PostgreSQL's own casts, so a float8 32.99999999999999 compares as the
 *		33 that SQL's ::numeric gives, never a few units below a floor of 33.
 *		And the few numeric helpers the trigger and approvals share (vc_
 *		prefix: the server has functions of the plain names).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "compat.h"
#include "valuecheck.h"

Numeric
price_to_numeric(Datum value, Oid basetype)
{
	switch (basetype)
	{
		case NUMERICOID:
			return DatumGetNumeric(value);
		case INT2OID:
			return vc_int64_to_numeric((int64) DatumGetInt16(value));
		case INT4OID:
			return vc_int64_to_numeric((int64) DatumGetInt32(value));
		case INT8OID:
			return vc_int64_to_numeric(DatumGetInt64(value));
		case FLOAT4OID:
			return DatumGetNumeric(DirectFunctionCall1(float4_numeric, value));
		case FLOAT8OID:
			return DatumGetNumeric(DirectFunctionCall1(float8_numeric, value));
		default:
			/* protection_config_get() admits no other type */
			elog(ERROR, "unexpected price type %u", basetype);
	}
	return NULL;				/* keep compiler quiet */
}

bool
vc_numeric_is_special(Numeric num)
{
	return numeric_is_nan(num) || numeric_is_inf(num);
}

bool
vc_numeric_less(Numeric a, Numeric b)
{
	return DatumGetBool(DirectFunctionCall2(numeric_lt,
											NumericGetDatum(a),
											NumericGetDatum(b)));
}

char *
vc_numeric_text(Numeric num)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
}
