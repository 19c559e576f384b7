/*
 * version.h — which exhaust this is. The one place the version is written:
 * CMakeLists.txt reads EXH_VERSION_MAJOR/MINOR/PATCH from here for the
 * project, the shared library's version and soname (libexhaust.so.MAJOR).
 *
 *     printf("built with %s, running %s\n", EXH_VERSION, exh_version());
 */
#ifndef EXHAUST_VERSION_H
#define EXHAUST_VERSION_H

#include "exhaust/export.h"

#define EXH_VERSION_MAJOR 0
#define EXH_VERSION_MINOR 1
#define EXH_VERSION_PATCH 0
#define EXH_VERSION "0.1.0"

/* The version of the library linked at run time ("0.1.0"), which may differ
 * from the EXH_VERSION of the headers a program was compiled with. */
EXH_API const char *exh_version(void);

#endif
