#include "util/number.h"

#include <stdio.h>
#include <stdlib.h>

void number_format(double value, char *buf, size_t size)
{
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (strtod(buf, NULL) == value)
            return;
    }
}
