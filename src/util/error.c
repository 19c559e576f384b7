#include "exhaust/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int exh_error_set(exh_error *err, int code, const char *format, ...)
{
    if (err) {
        va_list args;
        va_start(args, format);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, format, args);
        va_end(args);
    }
    return code;
}

int exh_error_prefix(exh_error *err, const char *format, ...)
{
    if (!err)
        return EXH_ERR_INVALID;
    char prefix[EXH_ERROR_MESSAGE_SIZE];
    char old[EXH_ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(prefix, sizeof prefix, format, args);
    va_end(args);
    memcpy(old, err->message, sizeof old);
    /* Truncation is fine here: the message stays NUL-terminated. */
    size_t n = strlen(prefix);
    if (n > sizeof err->message - 3)
        n = sizeof err->message - 3;
    memcpy(err->message, prefix, n);
    memcpy(err->message + n, ": ", 2);
    size_t room = sizeof err->message - n - 2;
    strncpy(err->message + n + 2, old, room - 1);
    err->message[sizeof err->message - 1] = '\0';
    return err->code;
}

void exh_error_clear(exh_error *err)
{
    if (err) {
        err->code = EXH_OK;
        err->message[0] = '\0';
    }
}

const char *exh_error_code_name(int code)
{
    switch (code) {
    case EXH_OK: return "ok";
    case EXH_ERR_IO: return "I/O error";
    case EXH_ERR_PARSE: return "parse error";
    case EXH_ERR_INVALID: return "invalid input";
    case EXH_ERR_NOMEM: return "out of memory";
    case EXH_ERR_STORE: return "store error";
    case EXH_ERR_NOT_FOUND: return "not found";
    case EXH_ERR_CORRUPT: return "corrupt input";
    default: return "error";
    }
}
