/* timer.h - monotonic wall-clock timing. */
#ifndef SR_CORE_TIMER_H
#define SR_CORE_TIMER_H

typedef struct sr_timer {
    double start; /* seconds, CLOCK_MONOTONIC */
} sr_timer_t;

/* Seconds since an arbitrary fixed point, from CLOCK_MONOTONIC. */
double sr_time_now(void);

/* Start (or restart) 't'. */
void sr_timer_start(sr_timer_t *t);

/* Seconds since 't' was started. */
double sr_timer_elapsed(const sr_timer_t *t);

#endif
