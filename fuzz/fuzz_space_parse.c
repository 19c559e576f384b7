/* libFuzzer target: every space's text parser (the first byte picks the space;
 * spaces are opened once and kept),
 * and, when parsing succeeds, format -> parse must give the same architecture. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/space.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"nb201", "convchain", "graph",
                                        "dense:" EXHAUST_SOURCE_DIR "/examples/spaces/tiny.json"};
    static exh_space *spaces[4];
    if (size == 0)
        return 0;
    int which = data[0] % 4;
    if (!spaces[which] && exh_space_open(names[which], &spaces[which], NULL) < 0)
        return 0;
    const exh_space *s = spaces[which];
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    exh_arch a, again;
    exh_error err;
    if (exh_space_parse(s, text, &a, &err) == 0) {
        char printed[EXH_SPACE_TEXT_MAX];
        if (exh_space_format(s, &a, printed, sizeof printed) < 0 ||
            exh_space_parse(s, printed, &again, &err) < 0 || !exh_arch_equal(&a, &again))
            abort(); /* a parsed architecture must print and re-parse to itself */
    }
    exh_arch sequence;
    exh_space_parse_sequence(s, text, &sequence, &err);
    free(text);
    return 0;
}
