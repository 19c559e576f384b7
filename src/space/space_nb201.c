/* placeholder until the space lands */
#include "space/space_internal.h"
const space_ops nb201_space_ops = {.kind = "nb201"};
