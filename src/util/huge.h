/* huge.h — big arrays in 2 MiB pages. */
#ifndef EXHAUST_UTIL_HUGE_H
#define EXHAUST_UTIL_HUGE_H

#include <stddef.h>

#define HUGE_PAGE ((size_t)2 << 20)

/* malloc(bytes), in huge pages (madvise) from HUGE_PAGE up: a gigabyte in
 * 4 KiB pages costs seconds of page faults on a virtual machine, in 2 MiB
 * pages milliseconds. free() and realloc() take it as any malloc'd block. */
void *huge_alloc(size_t bytes);

#endif
