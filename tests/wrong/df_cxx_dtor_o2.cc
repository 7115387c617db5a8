/*
 * df_cxx_dtor_o2: df_cxx_dtor.cc (the program is that file's) built with
 * -O2: the destructor is inlined into main and `this` lives in a
 * callee-saved register, which the allocator's frames saved on the stack;
 * the freed object must be named all the same.
 *
 * cflags: -O2
 * expect: slabtrace: operator delete\[\]\(0xdeadbeefdeadbeef\): invalid pointer, not from this allocator: 0xdeadbeef is what fills a freed buffer, so this pointer was read from freed memory \(use after free\)
 * expect: it was probably read from the freed buffer [0-9a-f]+ \(cache kmem_alloc_[0-9]+\), to which the stack still points:
 * expect: previous transaction on buffer [0-9a-f]+:
 * expect: \s*operator delete\(void\*, unsigned long\)\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?df_cxx_dtor\.cc:[0-9]+
 * expect: transaction before that on buffer [0-9a-f]+:
 * expect: \s*operator new\(unsigned long\)\+0x[0-9a-f]+  \(libslabtrace\.so\)
 * expect: \s*main\+0x[0-9a-f]+  (.+/)?df_cxx_dtor\.cc:[0-9]+
 * expect: panic\[cpu[0-9]+\]/thread=[0-9]+: heap corruption detected
 */
#include "wrong/df_cxx_dtor.cc"
