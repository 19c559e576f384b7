/*
 * cachesim_events.h — the replay's events in time order: each record's read
 * (at start_time) and write (at end_time), sorted by time with writes before
 * reads at equal times and record order after that.
 *
 * An event is a time_sort_item (time_sort.h): its key the time, its value
 * record * 2 + (1 for a read). The caller lays out writes before reads,
 * each in record order; the stable time_sort keeps that order among equal
 * times, which is the tie rule.
 */
#ifndef EXHAUST_ANALYZE_CACHESIM_EVENTS_H
#define EXHAUST_ANALYZE_CACHESIM_EVENTS_H

#include <stdint.h>

#include "analyze/time_sort.h"

typedef time_sort_item cachesim_event;

static inline cachesim_event cachesim_event_make(uint64_t time_key, int64_t record, int is_read)
{
    return (cachesim_event){time_key, 2 * record + (is_read ? 1 : 0)};
}

static inline int64_t cachesim_event_record(const cachesim_event *e)
{
    return e->value >> 1;
}

static inline int cachesim_event_is_read(const cachesim_event *e)
{
    return (int)(e->value & 1);
}

#endif
