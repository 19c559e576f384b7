/* placeholder until the space lands */
#include "space/space_internal.h"
const space_ops dense_space_ops = {.kind = "dense"};
