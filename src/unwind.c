/* unwind.c: placeholder, being written (issue 3). */
#include "slabtrace_impl.h"

uint32_t
st_stack_capture(uintptr_t *pcs, uint32_t max, uint32_t skip)
{
	uintptr_t *fp = __builtin_frame_address(0);
	uint32_t n = 0;

	while (fp != NULL && n < max && fp[1] != 0) {
		if (skip > 0)
			skip--;
		else
			pcs[n++] = fp[1];
		if ((uintptr_t *)fp[0] <= fp)
			break;
		fp = (uintptr_t *)fp[0];
	}
	return (n);
}

uint32_t
st_stack_capture_uc(const void *uc, uintptr_t *pcs, uint32_t max)
{
	(void) uc; (void) pcs; (void) max;
	return (0);
}
