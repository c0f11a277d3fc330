/*
 * valuecheck.h
 *		Declarations shared by the enforcement side of valuecheck: the floor
 *		cache, the per-trigger column mapping, approvals and the logs.
 */
#ifndef VALUECHECK_H
#define VALUECHECK_H

#include "postgres.h"

#include "access/htup.h"
#include "executor/spi.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/numeric.h"
#include "utils/relcache.h"

/* GUC valuecheck.enabled */
extern bool valuecheck_enabled;

/* GUC valuecheck.floor_cache_size (kB) */
extern int	valuecheck_floor_cache_size;

/* ---- floor_cache.c ---- */

/* One row of valuecheck.floors, as the cache keeps it. */
typedef struct FloorEntry
{
	/* what resolution and pricing read, first */
	char	   *campaign;		/* NULL = any campaign */
	char	   *currency;		/* NULL = any currency */
	int			campaign_len;
	int			currency_len;
	TimestampTz lower;			/* validity, as range bounds */
	TimestampTz upper;
	bool		lower_inf;
	bool		upper_inf;
	bool		lower_inc;
	bool		upper_inc;
	Numeric		min_price;		/* NULL if not set */
	Numeric		keep_fraction;	/* 1 - max_discount, NULL if not set */
	/* for messages and reports */
	Numeric		max_discount;	/* NULL if not set */
	int64		floor_id;
	Datum		valid;			/* the tstzrange */
} FloorEntry;

/* Outcome of computing the floor price of one line. */
typedef enum FloorPriceStatus
{
	FLOOR_PRICED,				/* *floor holds the floor price */
	FLOOR_NEEDS_LIST_PRICE,		/* only max_discount, and no list price */
	FLOOR_BAD_LIST_PRICE		/* list price NaN: no floor can be derived */
} FloorPriceStatus;

extern const FloorEntry *floor_resolve(const char *product, int product_len,
									   const char *campaign, int campaign_len,
									   const char *currency, int currency_len,
									   TimestampTz at, bool fresh);
extern FloorPriceStatus floor_price(const FloorEntry *floor, Numeric list_price,
									Numeric *result);
extern char *floor_valid_text(const FloorEntry *floor);
extern void floor_cache_register_callbacks(void);
extern Oid	floors_product_index(Relation heap, AttrNumber product_att,
								 Oid *collation, RegProcedure *eqproc);

/* ---- floors_check.c ---- */
extern void floors_check_register_callbacks(void);

/* ---- mapped_value.c ---- */
extern char *mapped_key_text(Datum value, Oid basetype, FmgrInfo *output, int *len);

/* ---- numeric helpers (price.c) ---- */
extern Numeric price_to_numeric(Datum value, Oid basetype);
extern bool vc_numeric_is_special(Numeric num);
extern bool vc_numeric_less(Numeric a, Numeric b);
extern char *vc_numeric_text(Numeric num);

/* ---- protection_config.c ---- */

/* Roles a mapped column can play, in trigger argument order. */
typedef enum MappedRole
{
	ROLE_PRODUCT = 0,
	ROLE_PRICE,
	ROLE_LIST_PRICE,
	ROLE_QUANTITY,
	ROLE_CAMPAIGN,
	ROLE_REP,
	ROLE_CURRENCY,
	ROLE_ORDERED_AT,
	ROLE_APPROVAL,
	NUM_ROLES
} MappedRole;

extern const char *const mapped_role_names[NUM_ROLES];

/* A protection as written in a trigger's arguments. */
typedef struct ProtectionArgs
{
	char	   *column[NUM_ROLES];	/* NULL where not mapped */
	bool		warn_mode;
	bool		reject_unknown;
} ProtectionArgs;

/* A protection resolved against one relation (a table or a partition). */
typedef struct ProtectionConfig
{
	Oid			tgoid;			/* hash key */
	Oid			relid;
	bool		valid;
	ProtectionArgs args;
	AttrNumber	attnum[NUM_ROLES];	/* InvalidAttrNumber where not mapped */
	Oid			basetype[NUM_ROLES];	/* base type (domains looked through) */
	int16		typlen[NUM_ROLES];
	bool		typbyval[NUM_ROLES];
	FmgrInfo	output[NUM_ROLES];	/* text form of key columns */
	NameData	table_name;		/* the table users know: a Citus shard's */
	NameData	schema_name;	/* distributed table, else the relation */
	bool		citus_shard;	/* a shard of a Citus table */
} ProtectionConfig;

extern bool price_type_ok(Oid basetype);
extern void protection_args_parse(int nargs, char **args, ProtectionArgs *out);
extern char *protection_qualified_name(const ProtectionConfig *config);
extern ProtectionConfig *protection_config_get(Relation rel, Oid tgoid,
											   int nargs, char **args);

/* ---- approval.c ---- */

/* A below-floor line that names an approval. */
typedef struct ApprovalRequest
{
	Relation	rel;
	const char *approval_value; /* the row's approval column, as text */
	const char *product;
	const char *campaign;		/* NULL if not mapped or NULL */
	const char *rep;
	Numeric		price;
	Numeric		floor;
	Numeric		kept_price;		/* UPDATE that cannot widen the approval its
								 * old row held: the old price, else NULL */
} ApprovalRequest;

extern bool approval_id_parse(const char *value, int64 *id);
extern int64 approval_use(const ApprovalRequest *req, char **failure);

/* ---- line_log.c ---- */
extern void log_violation(const char *relation, const char *product, const char *campaign,
						  const char *rep, Numeric price, Numeric floor,
						  int64 floor_id);
extern void log_exception(const char *relation, int64 approval_id, const char *product,
						  const char *campaign, const char *rep,
						  Numeric price, Numeric floor);

/* ---- citus_support.c ---- */
extern bool vc_citus_present(void);

/* ---- spi_support.c ---- */
extern SPIPlanPtr spi_plan_once(SPIPlanPtr *plan, const char *sql, int nargs,
								Oid *types);
extern Oid	valuecheck_table_owner(const char *relname);
extern void run_as_owner(Oid owner, Oid *save_userid, int *save_sec_context);
extern void restore_user(Oid save_userid, int save_sec_context);

#endif							/* VALUECHECK_H */
