#include "logs/ingest_internal.h"

/* placeholder until the parser lands */
int ingest_parse_nb201(const char *data, size_t size, ingest_parser_context *c, exh_error *err)
{
    (void)data; (void)size; (void)c;
    return error_set(err, EXH_ERR_INVALID, "format not implemented yet");
}

/* placeholder until the parser lands */
int ingest_parse_nb201_epochs(const char *data, size_t size, ingest_parser_context *c, exh_error *err)
{
    (void)data; (void)size; (void)c;
    return error_set(err, EXH_ERR_INVALID, "format not implemented yet");
}
