/* symtab.c: placeholder, being written (issue 3). */
#include "slabtrace_impl.h"

size_t
st_symbolize(uintptr_t pc, char *buf, size_t len)
{
	return (st_snprintf(buf, len, "0x%lx", (unsigned long)pc));
}
