# sirt — build, run, test.  `make run` and `make check` are the two commands.
#   make            build build/sirt
#   make run        install missing packages, build, init a SQLite database, serve
#   make check      every test: unit, end-to-end (SQLite and PostgreSQL), browser
#   make bench      load tests of the incidents slice (bench/README.md), ~5 minutes
#   make SAN=1 ...  the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   make install    PREFIX=/usr/local DESTDIR=

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
PKGS    := libmicrohttpd jansson sqlite3 libpq libsodium libcurl libcmark cairo pangocairo libzip
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wno-format-truncation -fno-strict-aliasing -Isrc -I$(BUILD)/gen -DSIRT_VERSION=\"$(VERSION)\"
ifeq ($(SAN),1)
  BUILD := build-san
  CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif
CFLAGS  += $(CFLAGS_BASE) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

SRC      := $(sort $(wildcard src/*/*.c))
MAIN_SRC := src/cli/main.c
LIB_SRC  := $(filter-out $(MAIN_SRC),$(SRC))
GEN_SRC  := $(BUILD)/gen/migrations.c
ifneq ($(wildcard tools/tmplc.c),)
  GEN_SRC += $(BUILD)/gen/templates.c $(BUILD)/gen/static.c
endif
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(GEN_SRC:.c=.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
MIGRATIONS := $(sort $(wildcard src/store/migrations/*/*.sql))
TEMPLATES  := $(sort $(wildcard src/web/templates/*.html))
STATIC     := $(sort $(wildcard src/web/static/*))

.PHONY: all run check unit unit-bins print-unit-bins e2e browser install clean deps lint fuzz bench
all: $(BUILD)/sirt

$(BUILD)/sirt: $(BUILD)/src/cli/main.o $(BUILD)/libsirt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libsirt.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c $(GEN_SRC)
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/migrations.c: scripts/embed-migrations.sh $(MIGRATIONS)
	@mkdir -p $(dir $@)
	sh scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/templates.c: $(BUILD)/tmplc $(TEMPLATES)
	@mkdir -p $(dir $@)
	$(BUILD)/tmplc $(BUILD)/gen/templates.h $(TEMPLATES) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/static.c: scripts/embed-static.sh $(STATIC)
	@mkdir -p $(dir $@)
	sh scripts/embed-static.sh $(STATIC) > $@.tmp && mv $@.tmp $@

$(BUILD)/tmplc: tools/tmplc.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libsirt.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $< $(BUILD)/libsirt.a \
		$(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

run: deps
	$(MAKE) all
	sh scripts/run.sh

deps:
	sh scripts/install-deps.sh

unit-bins: $(UNIT_BIN)

print-unit-bins:
	@echo $(UNIT_BIN)

unit: $(UNIT_BIN)
	sh tests/run-unit.sh $(UNIT_BIN)

check:
	sh scripts/check.sh

e2e: all
	sh tests/run-e2e.sh

lint:
	sh scripts/checksrc.sh

# Load tests of the incidents slice (bench/README.md); not part of `check`.
bench: all
	sh bench/run.sh

$(BUILD)/sirt.1: $(BUILD)/sirt scripts/gen-man.sh
	sh scripts/gen-man.sh $(BUILD)/sirt > $@.tmp && mv $@.tmp $@

man: $(BUILD)/sirt.1

install: all $(BUILD)/sirt.1
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/doc/sirt
	install -m 0755 $(BUILD)/sirt $(DESTDIR)$(PREFIX)/bin/sirt
	install -m 0644 $(BUILD)/sirt.1 $(DESTDIR)$(PREFIX)/share/man/man1/sirt.1
	install -m 0644 dist/sirt.conf.example $(DESTDIR)$(PREFIX)/share/doc/sirt/sirt.conf.example
	install -d $(DESTDIR)/lib/systemd/system
	install -m 0644 dist/sirt.service $(DESTDIR)/lib/systemd/system/sirt.service

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
