/* placeholder: the dispatcher lands with the store/CLI work */
#include <stdio.h>
int main(void) { puts("exhaust"); return 0; }
