/*
** sanbao server — counters for /metrics (Prometheus text format 0.0.4).
**
** Counters are relaxed atomics bumped by whichever thread sees the event;
** nothing here holds personal data — routes are templates
** ("/v1/settlements/{claim_id}"), never the ids in the URL.
*/
#ifndef SANBAO_METRICS_H
#define SANBAO_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "io/csv.h" /* sb_buf */

typedef enum sb_route {
  SB_ROUTE_SETTLE,    /* POST /v1/settlements */
  SB_ROUTE_PRESETTLE, /* POST /v1/presettlements */
  SB_ROUTE_REVERSE,   /* POST /v1/settlements/{claim_id}/reversal */
  SB_ROUTE_GET,       /* GET /v1/settlements/{claim_id} */
  SB_ROUTE_BALANCE,   /* GET /v1/persons/{person_id}/balance */
  SB_ROUTE_ALERTS,    /* GET /v1/alerts */
  SB_ROUTE_HEALTHZ,   /* GET /healthz */
  SB_ROUTE_METRICS,   /* GET /metrics */
  SB_ROUTE_CONSOLE,   /* /console/... (src/console/, docs/console.md) */
  SB_ROUTE_OTHER,     /* anything else (404 / 405) */
  SB_ROUTE_COUNT
} sb_route;

/* The HTTP statuses the server answers, each a counter slot. */
#define SB_METRIC_CODES 14

/* Latency histogram buckets, in microseconds (the last is +Inf). */
#define SB_METRIC_BUCKETS 12

typedef struct sb_histogram {
  _Atomic uint64_t bucket[SB_METRIC_BUCKETS]; /* non-cumulative here */
  _Atomic uint64_t count, sum_us;
} sb_histogram;

typedef struct sb_metrics {
  _Atomic uint64_t requests[SB_ROUTE_COUNT][SB_METRIC_CODES];
  sb_histogram latency[SB_ROUTE_COUNT]; /* first byte to response queued */
  _Atomic uint64_t outcomes[4];         /* settled, reversed, rejected, replayed */
  _Atomic uint64_t commits, commit_jobs, commit_failures;
  sb_histogram commit; /* one group commit, BEGIN to COMMIT */
  _Atomic uint64_t syncs, sync_failures;
  sb_histogram sync; /* one sync of the committed groups (serve_sync) */
  _Atomic int64_t in_flight, queued;
  int64_t started; /* unix seconds */
} sb_metrics;

/* The route's template, e.g. "/v1/settlements/{claim_id}". */
const char *sb_metrics_route_name(sb_route r);

/* Count one answered request. */
void sb_metrics_request(sb_metrics *m, sb_route r, int status, uint64_t micros);

/* Add one observation to a histogram. */
void sb_histogram_add(sb_histogram *h, uint64_t micros);

/* Append the Prometheus text of everything to `out`; 0 or -1 (no memory). */
int sb_metrics_write(const sb_metrics *m, sb_buf *out);

#endif
