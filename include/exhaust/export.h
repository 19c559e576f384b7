/*
 * export.h — EXH_API, the mark of what libexhaust exports.
 *
 * The library is compiled with -fvisibility=hidden: a function or variable is
 * visible outside libexhaust.so only when its declaration in include/exhaust/
 * carries EXH_API, and every such name starts with exh_ (tests/test_exports.sh
 * checks both libraries). Internals (src/ headers) stay hidden.
 */
#ifndef EXHAUST_EXPORT_H
#define EXHAUST_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define EXH_API __attribute__((visibility("default")))
#else
#define EXH_API
#endif

#endif
