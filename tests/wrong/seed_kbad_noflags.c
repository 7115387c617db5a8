/*
 * seed_kbad_noflags: the same program without debugging, under `slabtrace
 * run`: the corruption surfaces far away, as a general protection fault
 * in list_remove on 0x3f3f3f3f3f3f3f3f (the seed's first dump).
 *
 * env: SLABTRACE_RUN=1
 * signal: SEGV
 * timeout: 60
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: SIGSEGV: general protection fault on address 0x3f3f3f3f3f3f3f3f, pc=list_remove\+0x[0-9a-f]+
 * expect: \s*list_remove\+0x[0-9a-f]+(  .*)?
 * expect: \s*zil_itxg_clean\+0x[0-9a-f]+(  .*)?
 * gdb: list_remove
 */
#include "../../demo/kbad.c"
