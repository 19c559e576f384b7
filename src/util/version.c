/* version.c — the library's version (see version.h). */
#include "exhaust/version.h"

const char *exh_version(void)
{
    return EXH_VERSION;
}
