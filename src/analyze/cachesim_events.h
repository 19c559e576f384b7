/*
 * cachesim_events.h — the replay's events in time order: each record's read
 * (at start_time) and write (at end_time), sorted by time with writes before
 * reads at equal times and record order after that.
 *
 * Sorting is a stable LSD radix sort on the time's bits (16 bits a pass;
 * passes whose digit is the same for every event are skipped): O(n), so ten
 * replays of a million-record trace spend little time sorting. The caller
 * lays out writes before reads, each in record order; the stable sort keeps
 * that order among equal times, which is the tie rule.
 */
#ifndef EXHAUST_ANALYZE_CACHESIM_EVENTS_H
#define EXHAUST_ANALYZE_CACHESIM_EVENTS_H

#include <stdint.h>

typedef struct cachesim_event {
    uint64_t time_key;  /* cachesim_time_key(time) */
    int64_t tagged;     /* record * 2 + (1 for a read, 0 for a write) */
} cachesim_event;

static inline cachesim_event cachesim_event_make(uint64_t time_key, int64_t record, int is_read)
{
    return (cachesim_event){time_key, 2 * record + (is_read ? 1 : 0)};
}

static inline int64_t cachesim_event_record(const cachesim_event *e)
{
    return e->tagged >> 1;
}

static inline int cachesim_event_is_read(const cachesim_event *e)
{
    return (int)(e->tagged & 1);
}

/* The bits of a (non-NAN) time, ordered as unsigned integers like the times
 * are (-0 is 0), and back. */
uint64_t cachesim_time_key(double time);
double cachesim_key_time(uint64_t key);

/* Sort n events stably by time_key. *events may be replaced by another
 * malloc'd array (the old one is freed). Returns 0 or EXH_ERR_NOMEM (then
 * *events is unchanged). */
int cachesim_events_sort(cachesim_event **events, int64_t n);

#endif
