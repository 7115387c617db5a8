/*
 * seed_kbad: the seed's story (demo/kbad.c) with KMEM_FLAGS=0xf: a timer
 * fills a freed 256-byte buffer with '?' while other threads allocate and
 * free 256-byte buffers; the report names the free in kbad_bad.
 *
 * timeout: 60
 * expect: slabtrace: buffer modified after being freed
 * expect: modification occurred at offset 0x0 \(0xdeadbeefdeadbeef replaced by 0x3f3f3f3f3f3f3f3f\)
 * expect: buffer=[0-9a-f]+  bufctl=[0-9a-f]+  cache: kmem_alloc_256
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: thread=[0-9]+  time=T-[0-9]+\.[0-9]{9}  slab=[0-9a-f]+  cache: kmem_alloc_256
 * expect: \s*free\+0x[0-9a-f]+(  .*)?
 * expect: \s*kbad_bad\+0x[0-9a-f]+(  .*)?
 * expect: \s*kbad_ioctl\+0x[0-9a-f]+(  .*)?
 * expect: transaction before that on buffer [0-9a-f]+:
 * expect: \s*malloc\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*kbad_bad\+0x[0-9a-f]+(  .*)?
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 * expect: slabtrace: dumping to \./vmcore\.0, content: all, done.*
 * gdb: zil_itx_create
 * gdb-top: zil_itx_create
 */
#include "../../demo/kbad.c"
