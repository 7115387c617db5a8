#!/usr/bin/env python3
# mkseed_core.py DUMP OUT: a small seed for fuzz_core from a real dump:
# the same ELF header, program headers and notes, every PT_LOAD kept but
# with its memory left out (p_filesz 0), so the input stays under 64 KB
# (a few KB) and the fuzzer spends its time on the headers and notes.
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
d = open(src, 'rb').read()
(phoff,) = struct.unpack_from('<Q', d, 0x20)
phentsize, phnum = struct.unpack_from('<HH', d, 0x36)
phs = [list(struct.unpack_from('<IIQQQQQQ', d, phoff + i * phentsize)) for i in range(phnum)]
note = [p for p in phs if p[0] == 4][0]
notes = d[note[2]:note[2] + note[5]]
hdr = bytearray(d[:phoff + phnum * phentsize])
end = len(hdr) + len(notes)
out_notes_off = len(hdr)
for i, p in enumerate(phs):
    if p[0] == 4:
        p[2] = out_notes_off
    elif p[0] == 1:
        p[2] = end
        p[5] = 0                # p_filesz: memory not in the file
    struct.pack_into('<IIQQQQQQ', hdr, phoff + i * phentsize, *p)
open(dst, 'wb').write(bytes(hdr) + notes)
