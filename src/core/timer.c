/* timer.c - monotonic timers (see timer.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/timer.h"

#include <time.h>

double sr_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sr_timer_start(sr_timer_t *t)
{
    t->start = sr_time_now();
}

double sr_timer_elapsed(const sr_timer_t *t)
{
    return sr_time_now() - t->start;
}
