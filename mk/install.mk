# mk/install.mk: `make install` and `make uninstall` for slabtrace.
#
# Included by the top-level Makefile, after it has set:
#
#	PREFIX    where to install (default /usr/local)
#	DESTDIR   staging root for packagers (default empty)
#	BUILD     the build directory (default build)
#	VERSION   the release, e.g. 0.1; goes into slabtrace.pc
#
# and has rules (or files) for $(BUILD)/libslabtrace.so, libslabtrace.a and
# slabtrace, which are the prerequisites of `install`.  Every directory
# below may be overridden on the command line (make install LIBDIR=...).
#
# The shared library is installed under its plain name, libslabtrace.so,
# the name LD_PRELOAD and `slabtrace run` use, with libslabtrace.so.0 as a
# symbolic link to it so that a library linked with
# -Wl,-soname,libslabtrace.so.0 is found too.  No versioned file names:
# there is one ABI so far.
#
# Man pages that document several functions get one-line `.so` pages for
# each other name (man kmem_cache_create finds kmem_alloc(3)); the list is
# INSTALL_MAN3_LINKS below.

PREFIX  ?= /usr/local
BUILD   ?= build
VERSION ?= 0.1

BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR       ?= $(PREFIX)/share/man

INSTALL ?= install

# The source tree: the directory above this file, wherever make runs from.
INSTALL_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

INSTALL_HEADERS := slabtrace.h umem.h
INSTALL_MAN1    := $(notdir $(wildcard $(INSTALL_TOP)/man/*.1))
INSTALL_MAN3    := $(notdir $(wildcard $(INSTALL_TOP)/man/*.3))

# page:alias,alias,...  Each alias becomes man3/ALIAS.3 saying
# `.so man3/PAGE.3`.
INSTALL_MAN3_LINKS := \
	kmem_alloc:kmem_zalloc,kmem_free,kmem_cache_create,kmem_cache_destroy,kmem_cache_alloc,kmem_cache_free,kmem_cache_bufsize,kmem_cache_name,kmem_cache_walk,kmem_stats_print,kmem_reap,kmem_verify \
	umem_alloc:umem_zalloc,umem_free,umem_alloc_align,umem_free_align,umem_nofail_callback,umem_cache_create,umem_cache_destroy,umem_cache_alloc,umem_cache_free,umem_reap,umem_verify

# The same as ALIAS:PAGE words.
install_comma := ,
INSTALL_MAN3_PAIRS := $(foreach l,$(INSTALL_MAN3_LINKS),\
	$(foreach a,$(subst $(install_comma), ,$(word 2,$(subst :, ,$(l)))),\
	$(a):$(word 1,$(subst :, ,$(l)))))

.PHONY: install uninstall

install: $(BUILD)/libslabtrace.so $(BUILD)/libslabtrace.a $(BUILD)/slabtrace
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
	    $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	$(INSTALL) -m 755 $(BUILD)/slabtrace $(DESTDIR)$(BINDIR)/slabtrace
	$(INSTALL) -m 755 $(BUILD)/libslabtrace.so \
	    $(DESTDIR)$(LIBDIR)/libslabtrace.so
	ln -sf libslabtrace.so $(DESTDIR)$(LIBDIR)/libslabtrace.so.0
	$(INSTALL) -m 644 $(BUILD)/libslabtrace.a \
	    $(DESTDIR)$(LIBDIR)/libslabtrace.a
	$(INSTALL) -m 644 $(addprefix $(INSTALL_TOP)/include/,$(INSTALL_HEADERS)) \
	    $(DESTDIR)$(INCLUDEDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    $(INSTALL_TOP)/slabtrace.pc.in > $(BUILD)/slabtrace.pc
	$(INSTALL) -m 644 $(BUILD)/slabtrace.pc $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(addprefix $(INSTALL_TOP)/man/,$(INSTALL_MAN1)) \
	    $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 644 $(addprefix $(INSTALL_TOP)/man/,$(INSTALL_MAN3)) \
	    $(DESTDIR)$(MANDIR)/man3
	@set -e; for p in $(INSTALL_MAN3_PAIRS); do \
	    f=$(DESTDIR)$(MANDIR)/man3/$${p%%:*}.3; \
	    echo "echo .so man3/$${p#*:}.3 > $$f"; \
	    echo ".so man3/$${p#*:}.3" > $$f; \
	    chmod 644 $$f; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/slabtrace
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libslabtrace.so \
	    libslabtrace.so.0 libslabtrace.a)
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(INSTALL_HEADERS))
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/slabtrace.pc
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(INSTALL_MAN1))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(INSTALL_MAN3))
	rm -f $(foreach p,$(INSTALL_MAN3_PAIRS),\
	    $(DESTDIR)$(MANDIR)/man3/$(word 1,$(subst :, ,$(p))).3)
