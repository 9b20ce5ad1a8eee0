/*
** sanbao server — /metrics (see metrics.h).
*/
#include "server/metrics.h"

#include <stdarg.h>
#include <stdio.h>

static const int CODES[SB_METRIC_CODES] = {200, 201, 400, 401, 403, 404, 405,
                                           409, 413, 422, 500, 503, 408, 0};
static const char *const ROUTE[SB_ROUTE_COUNT] = {"/v1/settlements",
                                                  "/v1/presettlements",
                                                  "/v1/settlements/{claim_id}/reversal",
                                                  "/v1/settlements/{claim_id}",
                                                  "/v1/persons/{person_id}/balance",
                                                  "/v1/alerts",
                                                  "/healthz",
                                                  "/metrics",
                                                  "/console",
                                                  "other"};
/* upper bounds, microseconds; the last bucket is +Inf */
static const uint64_t BOUND[SB_METRIC_BUCKETS - 1] = {250,   500,   1000,   2000,   5000,   10000,
                                                      20000, 50000, 100000, 250000, 1000000};

const char *sb_metrics_route_name(sb_route r) {
  return r >= 0 && r < SB_ROUTE_COUNT ? ROUTE[r] : "other";
}

static int code_slot(int status) {
  for (int k = 0; k < SB_METRIC_CODES - 1; k++)
    if (CODES[k] == status) return k;
  return SB_METRIC_CODES - 1; /* "other" */
}

void sb_histogram_add(sb_histogram *h, uint64_t us) {
  int k = 0;
  while (k < SB_METRIC_BUCKETS - 1 && us > BOUND[k])
    k++;
  atomic_fetch_add_explicit(&h->bucket[k], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void sb_metrics_request(sb_metrics *m, sb_route r, int status, uint64_t us) {
  atomic_fetch_add_explicit(&m->requests[r][code_slot(status)], 1, memory_order_relaxed);
  sb_histogram_add(&m->latency[r], us);
}

static uint64_t get(const _Atomic uint64_t *a) {
  return atomic_load_explicit(a, memory_order_relaxed);
}

/* Microseconds as decimal seconds ("0.000250"), without floating point. */
static void seconds(uint64_t us, char buf[32]) {
  snprintf(buf, 32, "%llu.%06llu", (unsigned long long)(us / 1000000),
           (unsigned long long)(us % 1000000));
}

static int histogram(sb_buf *o, const char *name, const char *labels, const sb_histogram *h) {
  char s[32];
  uint64_t cum = 0;
  int rc = 0;
  for (int k = 0; k < SB_METRIC_BUCKETS; k++) {
    cum += get(&h->bucket[k]);
    if (k < SB_METRIC_BUCKETS - 1) {
      seconds(BOUND[k], s);
      rc |= sb_buf_printf(o, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, *labels ? "," : "", s,
                          (unsigned long long)cum);
    } else
      rc |= sb_buf_printf(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, *labels ? "," : "",
                          (unsigned long long)cum);
  }
  seconds(get(&h->sum_us), s);
  rc |= sb_buf_printf(o, "%s_sum{%s} %s\n", name, labels, s);
  rc |= sb_buf_printf(o, "%s_count{%s} %llu\n", name, labels, (unsigned long long)get(&h->count));
  return rc;
}

int sb_metrics_write(const sb_metrics *m, sb_buf *o) {
  int rc = 0;
  rc |=
      sb_buf_printf(o, "# HELP sanbao_http_requests_total Requests answered, by route and status.\n"
                       "# TYPE sanbao_http_requests_total counter\n");
  for (int r = 0; r < SB_ROUTE_COUNT; r++)
    for (int k = 0; k < SB_METRIC_CODES; k++) {
      uint64_t v = get(&m->requests[r][k]);
      if (!v) continue;
      if (CODES[k])
        rc |= sb_buf_printf(o, "sanbao_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                            ROUTE[r], CODES[k], (unsigned long long)v);
      else
        rc |= sb_buf_printf(o, "sanbao_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
                            ROUTE[r], (unsigned long long)v);
    }
  rc |= sb_buf_printf(
      o, "# HELP sanbao_http_request_duration_seconds From the request's first byte to "
         "its answer (a settlement's includes its durable commit).\n"
         "# TYPE sanbao_http_request_duration_seconds histogram\n");
  for (int r = 0; r < SB_ROUTE_COUNT; r++) {
    if (!get(&m->latency[r].count)) continue;
    char labels[128];
    snprintf(labels, sizeof labels, "route=\"%s\"", ROUTE[r]);
    rc |= histogram(o, "sanbao_http_request_duration_seconds", labels, &m->latency[r]);
  }
  static const char *const OUT[4] = {"settled", "reversed", "rejected", "replayed"};
  rc |= sb_buf_printf(o, "# HELP sanbao_claims_total Claims answered by the ledger, by outcome "
                         "(replayed: an identical retry answered from the ledger).\n"
                         "# TYPE sanbao_claims_total counter\n");
  for (int k = 0; k < 4; k++)
    rc |= sb_buf_printf(o, "sanbao_claims_total{outcome=\"%s\"} %llu\n", OUT[k],
                        (unsigned long long)get(&m->outcomes[k]));
  rc |= sb_buf_printf(o,
                      "# HELP sanbao_commits_total Group commits answered as durable.\n"
                      "# TYPE sanbao_commits_total counter\nsanbao_commits_total %llu\n",
                      (unsigned long long)get(&m->commits));
  rc |= sb_buf_printf(
      o,
      "# HELP sanbao_commit_requests_total Requests carried by group commits.\n"
      "# TYPE sanbao_commit_requests_total counter\nsanbao_commit_requests_total %llu\n",
      (unsigned long long)get(&m->commit_jobs));
  rc |= sb_buf_printf(
      o,
      "# HELP sanbao_commit_failures_total Groups rolled back (answered 503).\n"
      "# TYPE sanbao_commit_failures_total counter\nsanbao_commit_failures_total %llu\n",
      (unsigned long long)get(&m->commit_failures));
  rc |= sb_buf_printf(
      o, "# HELP sanbao_commit_duration_seconds One group: BEGIN IMMEDIATE to COMMIT.\n"
         "# TYPE sanbao_commit_duration_seconds histogram\n");
  rc |= histogram(o, "sanbao_commit_duration_seconds", "", &m->commit);
  rc |= sb_buf_printf(o,
                      "# HELP sanbao_syncs_total Syncs of the ledger's WAL, each making every "
                      "group committed before it durable (SQLite ledger).\n"
                      "# TYPE sanbao_syncs_total counter\nsanbao_syncs_total %llu\n",
                      (unsigned long long)get(&m->syncs));
  rc |=
      sb_buf_printf(o,
                    "# HELP sanbao_sync_failures_total Failed syncs (the ledger then takes no "
                    "more requests: restart the server).\n"
                    "# TYPE sanbao_sync_failures_total counter\nsanbao_sync_failures_total %llu\n",
                    (unsigned long long)get(&m->sync_failures));
  rc |= sb_buf_printf(o, "# HELP sanbao_sync_duration_seconds One sync of the ledger's WAL.\n"
                         "# TYPE sanbao_sync_duration_seconds histogram\n");
  rc |= histogram(o, "sanbao_sync_duration_seconds", "", &m->sync);
  rc |= sb_buf_printf(o,
                      "# HELP sanbao_requests_in_flight Requests being answered.\n"
                      "# TYPE sanbao_requests_in_flight gauge\nsanbao_requests_in_flight %lld\n",
                      (long long)atomic_load_explicit(&m->in_flight, memory_order_relaxed));
  rc |= sb_buf_printf(o,
                      "# HELP sanbao_ledger_queue Requests waiting for the ledger thread.\n"
                      "# TYPE sanbao_ledger_queue gauge\nsanbao_ledger_queue %lld\n",
                      (long long)atomic_load_explicit(&m->queued, memory_order_relaxed));
  rc |= sb_buf_printf(o,
                      "# HELP sanbao_start_time_seconds When the server started (unix time).\n"
                      "# TYPE sanbao_start_time_seconds gauge\nsanbao_start_time_seconds %lld\n",
                      (long long)m->started);
  return rc ? -1 : 0;
}
