/* space_tokens.c — reading a bare token list, for spaces whose text forms
 * include DeepHyper's arch_seq. */
#include "space/space_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

static const char *skip_blanks(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

int space_tokens_parse(const char *text, exh_arch *out, exh_error *err)
{
    exh_arch a = {0};
    const char *p = skip_blanks(text);
    int bracketed = *p == '[';
    if (bracketed)
        p = skip_blanks(p + 1);
    while (*p && *p != ']') {
        if (a.length == EXH_ARCH_MAX_TOKENS)
            return exh_error_set(err, EXH_ERR_PARSE, "sequence longer than %d positions",
                                 EXH_ARCH_MAX_TOKENS);
        char *end;
        errno = 0;
        long value = strtol(p, &end, 10);
        if (end == p || errno || value < 0 || value > INT32_MAX || *p == '+' || *p == '-')
            return exh_error_set(err, EXH_ERR_PARSE,
                                 "sequence, offset %td: position %d is not a non-negative integer",
                                 p - text, a.length);
        a.token[a.length++] = (int32_t)value;
        p = skip_blanks(end);
        if (*p == ',')
            p = skip_blanks(p + 1);
    }
    if (*p == ']' && !bracketed)
        return exh_error_set(err, EXH_ERR_PARSE, "sequence, offset %td: ']' without '['", p - text);
    if (bracketed && *p != ']')
        return exh_error_set(err, EXH_ERR_PARSE, "sequence: '[' without ']'");
    if (*p == ']')
        p = skip_blanks(p + 1);
    if (*p)
        return exh_error_set(err, EXH_ERR_PARSE, "sequence, offset %td: unexpected '%c'", p - text, *p);
    *out = a;
    return EXH_OK;
}
