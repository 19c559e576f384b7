/* huge.c — see huge.h. */
#define _DEFAULT_SOURCE /* madvise and MADV_HUGEPAGE */
#include "util/huge.h"

#include <stdlib.h>
#include <sys/mman.h>

void *huge_alloc(size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (bytes >= HUGE_PAGE) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
            return NULL;
        madvise(p, bytes, MADV_HUGEPAGE);
        return p;
    }
#endif
    return malloc(bytes);
}
