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
             src/firewall.c src/fault.c
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

$(BUILD)/slabtrace: src/cmd/slabtrace.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(OPT) $(WARN) -DSLABTRACE_VERSION='"$(VERSION)"' \
	    -DSLABTRACE_LIBDIR='"$(PREFIX)/lib"' -o $@ $<

check: all
	tests/run-tests.sh

bench: all
	bench/run.sh

demo: all
	demo/run.sh

clean:
	rm -rf $(BUILD)

-include mk/install.mk
