/* placeholder until the space lands */
#include "space/space_internal.h"
const space_ops convchain_space_ops = {.kind = "convchain"};
