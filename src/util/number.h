/* number.h — printing doubles so that they read back exactly. */
#ifndef EXHAUST_NUMBER_H
#define EXHAUST_NUMBER_H

#include <stddef.h>

/* The shortest of %.15g, %.16g, %.17g that reads back to the same double:
 * 91.61 prints as 91.61, not 91.609999999999999. */
void number_format(double value, char *buf, size_t size);

#endif
