# valuecheck: PGXS build.  `make test`, `make demo` and `make bench` each set
# up everything they need (packages, build, install, a throwaway cluster).
EXTENSION  = valuecheck
MODULE_big = valuecheck
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA       = $(wildcard sql/valuecheck--*.sql)
PGFILEDESC = "valuecheck - value floors and discount leakage"

# pg_regress inputs are every sql/*.sql that is not an extension script.
REGRESS      = $(sort $(basename $(notdir $(filter-out sql/valuecheck--%,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --load-extension=btree_gist

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

.PHONY: test demo bench test-citus
test:
	bash test/run.sh test
# Citus scenarios (not in CI): PG_CONFIG names a PostgreSQL with Citus
# installed (README, section Citus)
test-citus:
	bash test/run.sh citus
demo:
	bash test/run.sh demo
bench:
	bash test/run.sh bench

# PGXS tracks no header dependencies: rebuild every object when one changes.
$(OBJS): $(wildcard src/*.h)
