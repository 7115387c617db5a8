/* dump.c: placeholder, being written (issue 3). */
#include "slabtrace_impl.h"

int
st_dump_write(const char *panicmsg, const void *uc, int signo,
    uintptr_t fault_addr)
{
	(void) panicmsg; (void) uc; (void) signo; (void) fault_addr;
	return (-1);
}
