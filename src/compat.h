/*
 * compat.h
 *		The few server API differences between PostgreSQL 14 and 19 that
 *		valuecheck meets, in one place.
 */
#ifndef VALUECHECK_COMPAT_H
#define VALUECHECK_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 130000
#error "valuecheck needs PostgreSQL 13 or later"
#endif

/* int64_to_numeric() appeared in 14; before, go through the SQL cast. */
#if PG_VERSION_NUM >= 140000
#include "utils/numeric.h"
#define vc_int64_to_numeric(v)	int64_to_numeric(v)
#else
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#define vc_int64_to_numeric(v) \
	DatumGetNumeric(DirectFunctionCall1(int8_numeric, Int64GetDatum(v)))
#endif

/* strtoi64() appeared in 15 (c.h). */
#ifndef strtoi64
#define strtoi64(str, endptr, base) ((int64) strtoll(str, endptr, base))
#endif

/* varatt.h was split out of postgres.h in 16. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * PostgreSQL 18 replaced pg_attribute_noreturn(), written after a
 * declarator, by pg_noreturn, written before the declaration.  Older
 * servers' attribute works in that place too.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * index_beginscan() takes instrumentation from 18 on, and scan flags from
 * 19 on.
 */
#if PG_VERSION_NUM >= 190000
#include "access/tableam.h"
#define vc_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan(heap, index, snapshot, NULL, nkeys, norderbys, SO_NONE)
#elif PG_VERSION_NUM >= 180000
#define vc_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan(heap, index, snapshot, NULL, nkeys, norderbys)
#else
#define vc_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan(heap, index, snapshot, nkeys, norderbys)
#endif

/* numeric has +/-Infinity from 14 on (13 knows only NaN). */
#define VC_NUMERIC_HAS_INFINITY (PG_VERSION_NUM >= 140000)

#endif							/* VALUECHECK_COMPAT_H */
