# slabtrace: GNU Make.  `make` builds build/libslabtrace.so, build/libslabtrace.a
# and build/slabtrace; `make check` runs the tests; `make bench` the benchmarks;
# `make demo` the walkthrough; `make install PREFIX=... DESTDIR=...`.

VERSION   := 0.1
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes
CSTD      := -std=c11 -D_GNU_SOURCE
OPT       ?= -O2 -g
CFLAGS_LIB = $(CSTD) $(OPT) $(WARN) -fPIC -fvisibility=hidden \
             -fno-semantic-interposition -fno-builtin-malloc \
             -fno-builtin-calloc -fno-builtin-free -fno-builtin-realloc \
             -ftls-model=initial-exec -fno-optimize-sibling-calls \
             -Iinclude -Isrc $(EXTRA_CFLAGS)

LIB_SRCS  := src/platform_linux.c src/print.c src/vmem.c src/pagemap.c \
             src/slab.c src/magazine.c src/kmem.c src/malloc.c src/new.c \
             src/umem.c src/unwind.c src/symtab.c src/dump.c \
             src/options.c src/log.c src/debug.c src/verify.c \
             src/firewall.c src/fault.c src/report.c src/leaky.c \
             src/leakcheck.c src/depot.c
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
HEADERS   := $(wildcard include/*.h src/*.h)

.PHONY: all check bench demo clean install uninstall
all: $(BUILD)/libslabtrace.so $(BUILD)/libslabtrace.a $(BUILD)/slabtrace

$(BUILD)/obj/%.o: src/%.c $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) -c -o $@ $<

# operator new must let exceptions unwind through it.
$(BUILD)/obj/new.o: CFLAGS_LIB += -fexceptions

$(BUILD)/libslabtrace.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libslabtrace.so -Wl,-z,nodelete \
	    -o $@ $(LIB_OBJS) -pthread

$(BUILD)/libslabtrace.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# The command, with `symbolize` on elfutils' libdw (never the library).
CMD_SRCS  := $(wildcard src/cmd/*.c)
DW_CFLAGS := $(shell pkg-config --cflags libdw 2>/dev/null)
DW_LIBS   := $(shell pkg-config --libs libdw 2>/dev/null || echo -ldw -lelf)
# `run` checks the variables with the library's own parser: src/options.c,
# over src/cmd/shim.c (the C library in place of print.c and platform_linux.c).
# `mdb`'s ::findleaks scans with the library's own scanner, src/leaky.c.
CMD_SHARED := src/options.c src/leaky.c

# `mdb`, the debugger (src/mdb/): ::dis with capstone and the prompt's line
# editing with libedit when their pkg-config files are there.
MDB_SRCS  := $(wildcard src/mdb/*.c)
MDB_CFLAGS := $(shell pkg-config --exists capstone 2>/dev/null && \
              echo -DHAVE_CAPSTONE $$(pkg-config --cflags capstone)) \
              $(shell pkg-config --exists libedit 2>/dev/null && \
              echo -DHAVE_LIBEDIT $$(pkg-config --cflags libedit))
MDB_LIBS  := $(shell pkg-config --libs capstone 2>/dev/null) \
             $(shell pkg-config --libs libedit 2>/dev/null)

$(BUILD)/slabtrace: $(CMD_SRCS) $(CMD_SHARED) $(MDB_SRCS) $(HEADERS) \
    $(wildcard src/cmd/*.h) $(wildcard src/mdb/*.h) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(OPT) $(WARN) $(DW_CFLAGS) $(MDB_CFLAGS) -Iinclude -Isrc \
	    -DSLABTRACE_VERSION='"$(VERSION)"' \
	    -DSLABTRACE_LIBDIR='"$(PREFIX)/lib"' -o $@ $(CMD_SRCS) \
	    $(MDB_SRCS) $(CMD_SHARED) $(DW_LIBS) $(MDB_LIBS) -lstdc++

check: all
	tests/run-tests.sh

bench: all
	bench/run.sh
	BUILD=$(BUILD) bench/mdb.sh
	BUILD=$(BUILD) bench/leaks.sh
	BUILD=$(BUILD) bench/sample.sh

demo: all
	demo/run.sh

clean:
	rm -rf $(BUILD)

-include mk/install.mk
