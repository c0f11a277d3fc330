# valuecheck: PGXS build.  `make test`, `make demo` and `make bench` each set
# up everything they need (packages, build, install, a throwaway cluster).
EXTENSION  = valuecheck
MODULE_big = valuecheck
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA       = $(wildcard sql/valuecheck--*.sql)
PGFILEDESC = "valuecheck - value floors and discount leakage"

# pg_regress inputs are every sql/*.sql that is not an extension script.
# setup runs first: it creates what the other tests share.
REGRESS      = setup $(filter-out setup,$(sort $(basename $(notdir $(filter-out sql/valuecheck--%,$(wildcard sql/*.sql))))))
REGRESS_OPTS = --load-extension=btree_gist
EXTRA_CLEAN  = .pg_config_stamp

PG_CPPFLAGS = -Isrc
# PostgreSQL's own headers trip -Wunused-parameter (ilist.h, bufpage.h)
PG_CFLAGS   = -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
else
# No server headers yet: only the set-up targets below can run; they install them.
all install installcheck:
	@echo "pg_config --pgxs found nothing: run 'make test' or 'make demo' (they install the build dependencies)"; exit 1
endif

# `make test PG_CONFIG=/path/to/pg_config` runs against that installation;
# `make test PG_MAJOR=NN` against PostgreSQL NN built from Debian's source
# package (test/scripts/build_postgres.sh).  Only a PG_MAJOR given on the
# command line counts: some environments export PG_MAJOR for other ends.
RUN_ENV = $(if $(filter command line,$(origin PG_MAJOR)),VALUECHECK_BUILD_MAJOR=$(PG_MAJOR))

.PHONY: test demo bench test-citus
test:
	$(RUN_ENV) bash test/run.sh test
# Citus scenarios (not in CI): PG_CONFIG names a PostgreSQL with Citus
# installed (README, section Citus)
test-citus:
	bash test/run.sh citus
demo:
	$(RUN_ENV) bash test/run.sh demo
bench:
	$(RUN_ENV) bash test/run.sh bench

# PGXS tracks no header dependencies: rebuild every object when one changes.
$(OBJS): $(wildcard src/*.h)

# Objects compiled for one server are rebuilt for another (`make
# PG_CONFIG=...` after a build for another major): .pg_config_stamp names the
# server they were built for and changes only when that does.
ifneq ($(PGXS),)
$(OBJS) $(OBJS:.o=.bc): .pg_config_stamp
.pg_config_stamp: FORCE
	@v="$$($(PG_CONFIG) --version) $$($(PG_CONFIG) --includedir-server)"; \
	if [ "$$(cat $@ 2>/dev/null)" != "$$v" ]; then echo "$$v" > $@; fi
.PHONY: FORCE
endif
