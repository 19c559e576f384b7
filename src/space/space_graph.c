/* placeholder until the space lands */
#include "space/space_internal.h"
const space_ops graph_space_ops = {.kind = "graph"};
