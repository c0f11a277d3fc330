/*
 * valuecheck.c
 *		Module entry point: the valuecheck.enabled setting and the cache
 *		callbacks, registered once per backend when the library loads.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "valuecheck.h"

PG_MODULE_MAGIC;

bool		valuecheck_enabled = true;

void		_PG_init(void);

void
_PG_init(void)
{
	/*
	 * PGC_SUSET: only a superuser may switch checking off.  A placeholder a
	 * non-superuser set before the library loaded is discarded by the server
	 * with a WARNING when this runs, so checking stays on for them.
	 */
	DefineCustomBoolVariable("valuecheck.enabled",
							 "Checks order lines against their value floors.",
							 "Turn off only for maintenance, such as loading historic data.",
							 &valuecheck_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	/*
	 * PGC_USERSET: the memo of looked-up products is a session's own; a
	 * placeholder set before the library loaded (PGOPTIONS) is taken over.
	 */
	DefineCustomIntVariable("valuecheck.floor_cache_size",
							"Memory for the floors of recently checked products, per session.",
							"Products not in it have their floors read through the product index of valuecheck.floors.",
							&valuecheck_floor_cache_size,
							8192,
							1,
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("valuecheck");
#else
	EmitWarningsOnPlaceholders("valuecheck");
#endif

	floor_cache_register_callbacks();
	floors_check_register_callbacks();
}
