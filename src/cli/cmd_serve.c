/*
** sanbao serve — the real-time settlement API over a ledger; sanbao tokens —
** the bearer tokens it accepts.  The server itself is src/server/; this file
** reads options, handles signals and prints.
*/
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "ledger/ledger.h"
#include "ledger/store.h"
#include "server/server.h"
#include "server/tokens.h"

static const char SERVE_USAGE[] =
    "NAME\n"
    "    sanbao serve - the real-time one-stop settlement API (一站式结算) for hospitals\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao serve --db FILE --tokens FILE [--policy FILE ...] [--listen HOST:PORT]\n"
    "                 [--threads N] [--max-connections N] [--timeout SECONDS]\n"
    "                 [--max-body BYTES] [--grace SECONDS] [--stats SECONDS]\n"
    "                 [--access-log]\n"
    "\n"
    "DESCRIPTION\n"
    "    Serves the JSON API of docs/api.md over the ledger FILE (made by 'sanbao db\n"
    "    init', with its registry imported): POST /v1/settlements settles a claim\n"
    "    after everything the ledger holds and answers only once it is durable;\n"
    "    /v1/presettlements computes without writing (预结算); POST\n"
    "    /v1/settlements/{claim_id}/reversal reverses (结算撤销); GET routes read a\n"
    "    settlement, a person's balance, the monitoring alerts, /healthz and\n"
    "    /metrics (Prometheus).  Claims are settled with exactly the rules of\n"
    "    'sanbao settle' and 'sanbao db import-claims'; a retry with the same body\n"
    "    returns the first answer (200), the same claim id with another body is 409.\n"
    "\n"
    "    Requests need 'Authorization: Bearer TOKEN' (sanbao tokens add).  A\n"
    "    hospital token settles, reverses and reads its own institution's claims;\n"
    "    an admin token reads every settlement, balances and alerts.  Logs never\n"
    "    hold personal data.\n"
    "\n"
    "    The registry and the policies are read when the server starts: after\n"
    "    'sanbao db import-persons' or 'db add-policy', restart it.  SIGTERM or\n"
    "    SIGINT stops it gracefully: no new connection is accepted, requests under\n"
    "    way finish, queued claims are committed, then it exits 0.\n"
    "\n"
    "OPTIONS\n"
    "    --db FILE            the ledger\n"
    "    --tokens FILE        the tokens file (hashes only)\n"
    "    --policy FILE        a policy to settle under (repeatable); stored in the\n"
    "                         ledger when it has none for that year; a different\n"
    "                         one for the same year stops the start (exit 2)\n"
    "    --listen HOST:PORT   numeric address (default 127.0.0.1:8080: loopback\n"
    "                         only); port 0 picks a free port; [::1]:PORT for IPv6\n"
    "    --threads N          HTTP threads (default 2)\n"
    "    --max-connections N  open connections at most (default 1024)\n"
    "    --timeout SECONDS    a connection idle this long, or a request not read\n"
    "                         in this time, is closed (default 30)\n"
    "    --max-body BYTES     larger request bodies are answered 413 (default 262144)\n"
    "    --grace SECONDS      at stop, how long requests under way may take (default 10)\n"
    "    --stats SECONDS      a line of counts on standard error this often (default\n"
    "                         60; 0: never)\n"
    "    --access-log         a line per request on standard error: route template,\n"
    "                         status, microseconds, institution (never an id)\n"
    "    -h, --help           this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 stopped by a signal after a clean shutdown; 2 usage error, a bad ledger,\n"
    "    tokens or policy file, or the address cannot be listened on.\n"
    "\n"
    "EXAMPLE\n"
    "    sanbao db init --db ledger.db && sanbao db import-persons --db ledger.db persons.csv\n"
    "    sanbao tokens add --file tokens --institution H430102001 --role hospital\n"
    "    sanbao serve --db ledger.db --tokens tokens --policy policies/hunan-2022.json\n"
    "    curl -H 'Authorization: Bearer sbt_...' -d @claim.json \\\n"
    "         http://127.0.0.1:8080/v1/settlements\n";

static void log_line(void *ctx, const char *line) {
  (void)ctx;
  time_t t = time(NULL);
  struct tm tm;
  char ts[32];
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  fprintf(stderr, "%s sanbao serve: %s\n", ts, line);
}

static int problem(const char *cmd, const sb_error *err) {
  fprintf(stderr, "sanbao %s: %s%s%s\n", cmd, err->where[0] ? err->where : "",
          err->where[0] ? ": " : "", err->msg);
  return SB_EXIT_USAGE;
}

/* The policies named on the command line, checked against the ledger. */
static int use_policies(const char *db, const sb_opt *o) {
  if (!o->count) return 0;
  sb_store *st;
  sb_error err = {0};
  if (sb_store_open(db, 0, &st, &err)) return problem("serve", &err);
  int rc = 0;
  for (int i = 0; i < o->count && !rc; i++) {
    int year, added;
    if (sb_ledger_use_policy(st, o->values[i], &year, &added, &err))
      rc = problem("serve", &err);
    else if (added)
      fprintf(stderr, "sanbao serve: stored %s as the %d policy\n", o->values[i], year);
  }
  st->ops->close(st);
  return rc;
}

/* After the first SIGTERM/SIGINT: a second one ends the process at once
** (the operator who does not want to wait out --grace).  What is committed
** stays committed; requests not yet answered get no answer, and nothing of
** theirs is stored but what their group had committed. */
static void *second_signal(void *arg) {
  sigset_t set = *(sigset_t *)arg; /* the caller's copy is freed here */
  free(arg);
  int sig;
  if (sigwait(&set, &sig) == 0 && (sig == SIGTERM || sig == SIGINT)) {
    static const char msg[] = "sanbao serve: second signal: exiting now, without waiting\n";
    if (write(2, msg, sizeof msg - 1) < 0) { /* nothing to do */
    }
    _exit(SB_EXIT_USAGE);
  }
  return NULL;
}

static uint64_t total_requests(const sb_metrics *m) {
  uint64_t n = 0;
  for (int r = 0; r < SB_ROUTE_COUNT; r++)
    n += atomic_load(&m->latency[r].count);
  return n;
}

enum {
  S_DB,
  S_TOKENS,
  S_POLICY,
  S_LISTEN,
  S_THREADS,
  S_MAXCONN,
  S_TIMEOUT,
  S_MAXBODY,
  S_GRACE,
  S_STATS,
  S_ACCESS,
  S_N
};

int sb_cmd_serve(int argc, char **argv) {
  sb_opt o[S_N] = {{"--db", 1, 0, 0, 0, {0}},        {"--tokens", 1, 0, 0, 0, {0}},
                   {"--policy", 0, 1, 0, 0, {0}},    {"--listen", 0, 0, 0, 0, {0}},
                   {"--threads", 0, 0, 0, 0, {0}},   {"--max-connections", 0, 0, 0, 0, {0}},
                   {"--timeout", 0, 0, 0, 0, {0}},   {"--max-body", 0, 0, 0, 0, {0}},
                   {"--grace", 0, 0, 0, 0, {0}},     {"--stats", 0, 0, 0, 0, {0}},
                   {"--access-log", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, S_N, SERVE_USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  long threads = 2, maxconn = 1024, timeout = 30, maxbody = 262144, grace = 10, stats = 60;
  if ((o[S_THREADS].count && sb_cli_long("serve", &o[S_THREADS], 1, 64, &threads)) ||
      (o[S_MAXCONN].count && sb_cli_long("serve", &o[S_MAXCONN], 1, 100000, &maxconn)) ||
      (o[S_TIMEOUT].count && sb_cli_long("serve", &o[S_TIMEOUT], 1, 3600, &timeout)) ||
      (o[S_MAXBODY].count && sb_cli_long("serve", &o[S_MAXBODY], 256, 16 << 20, &maxbody)) ||
      (o[S_GRACE].count && sb_cli_long("serve", &o[S_GRACE], 0, 3600, &grace)) ||
      (o[S_STATS].count && sb_cli_long("serve", &o[S_STATS], 0, 86400, &stats)))
    return SB_EXIT_USAGE;
  const char *db = o[S_DB].values[0];
  if (use_policies(db, &o[S_POLICY])) return SB_EXIT_USAGE;

  /* Signals are taken by this thread alone (sigtimedwait below): block them
  ** before any thread starts, so every thread inherits the mask. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  sb_server_config cfg = {db,
                          o[S_TOKENS].values[0],
                          sb_cli_value(&o[S_LISTEN], "127.0.0.1:8080"),
                          (int)threads,
                          (unsigned)maxconn,
                          (unsigned)timeout,
                          (size_t)maxbody,
                          o[S_ACCESS].count > 0,
                          log_line,
                          NULL};
  sb_server *srv;
  sb_error err = {0};
  if (sb_server_start(&cfg, &srv, &err)) return problem("serve", &err);
  const char *host = cfg.listen;
  const char *colon = strrchr(host, ':');
  fprintf(stderr, "sanbao serve: listening on http://%.*s:%d (ledger %s)\n", (int)(colon - host),
          host, sb_server_port(srv), db);
  fflush(stderr);

  uint64_t last = 0;
  for (;;) {
    struct timespec ts = {stats ? stats : 3600, 0};
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      log_line(NULL, "SIGHUP ignored: restart to read a new registry or policy");
      continue;
    }
    if (sig < 0 && stats) {
      const sb_metrics *m = sb_server_metrics(srv);
      uint64_t n = total_requests(m);
      if (n != last) {
        char line[256];
        snprintf(line, sizeof line,
                 "%llu requests (%llu/s), %llu settled, %llu reversed, %llu rejected, "
                 "%llu commits",
                 (unsigned long long)n, (unsigned long long)((n - last) / (uint64_t)stats),
                 (unsigned long long)atomic_load(&m->outcomes[0]),
                 (unsigned long long)atomic_load(&m->outcomes[1]),
                 (unsigned long long)atomic_load(&m->outcomes[2]),
                 (unsigned long long)atomic_load(&m->commits));
        log_line(NULL, line);
        last = n;
      }
    }
  }
  log_line(NULL, "stopping: finishing the requests under way (a second signal: exit now)");
  pthread_t watcher;
  sigset_t *copy = malloc(sizeof *copy);
  if (copy) {
    *copy = set;
    if (pthread_create(&watcher, NULL, second_signal, copy) == 0)
      pthread_detach(watcher);
    else
      free(copy);
  }
  if (sb_server_stop(srv, (unsigned)grace, &err)) return problem("serve", &err);
  log_line(NULL, "stopped");
  return SB_EXIT_OK;
}

/* ---- sanbao tokens ------------------------------------------------------------- */

static const char TOKENS_USAGE[] =
    "NAME\n"
    "    sanbao tokens - the bearer tokens 'sanbao serve' accepts\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao tokens add --file FILE --institution ID --role hospital|admin\n"
    "    sanbao tokens list --file FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    add makes a new random token (256 bits), prints it once on standard\n"
    "    output and appends only its SHA-256 to FILE (created with mode 0600), so\n"
    "    the file lets nobody in.  Give the token to the institution; if it is\n"
    "    lost, add a new one and delete the old line.  An institution may hold\n"
    "    several tokens (to rotate them without a gap).\n"
    "\n"
    "    list prints each line's role, institution and the first hash digits.\n"
    "\n"
    "    A hospital token settles, reverses and reads its institution's own\n"
    "    claims; an admin token reads every settlement, balances and alerts.\n"
    "    The server reads FILE when it starts.\n"
    "\n"
    "OPTIONS\n"
    "    --file FILE          the tokens file\n"
    "    --institution ID     1-64 of A-Z a-z 0-9 . _ - (e.g. the 定点医药机构编码)\n"
    "    --role ROLE          hospital or admin\n"
    "    -h, --help           this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 2 usage error, a bad tokens file or a write error.\n";

int sb_cmd_tokens(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(TOKENS_USAGE, stdout);
    return SB_EXIT_OK;
  }
  int add = argc >= 2 && strcmp(argv[1], "add") == 0;
  int list = argc >= 2 && strcmp(argv[1], "list") == 0;
  if (!add && !list) {
    fprintf(stderr, "sanbao tokens: want 'add' or 'list' (sanbao tokens --help)\n");
    return SB_EXIT_USAGE;
  }
  sb_opt o[3] = {{"--file", 1, 0, 0, 0, {0}},
                 {"--institution", add, 0, 0, 0, {0}},
                 {"--role", add, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc - 1, argv + 1, o, add ? 3 : 1, TOKENS_USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  sb_error err = {0};
  if (list) {
    sb_tokens t;
    if (sb_tokens_load(o[0].values[0], &t, &err)) return problem("tokens", &err);
    for (size_t i = 0; i < t.n; i++)
      printf("%-8s %-24s sha256:%02x%02x%02x%02x...\n", sb_role_name(t.v[i].role),
             t.v[i].institution, t.v[i].hash[0], t.v[i].hash[1], t.v[i].hash[2], t.v[i].hash[3]);
    sb_tokens_free(&t);
    return SB_EXIT_OK;
  }
  int role = sb_role_from_name(o[2].values[0]);
  if (role < 0) {
    fprintf(stderr, "sanbao tokens: --role is hospital or admin, not '%s'\n", o[2].values[0]);
    return SB_EXIT_USAGE;
  }
  char token[SB_TOKEN_LEN + 1];
  if (sb_tokens_add(o[0].values[0], o[1].values[0], role, token, &err))
    return problem("tokens", &err);
  printf("%s\n", token);
  fprintf(stderr,
          "sanbao tokens: %s %s token for %s; its hash is in %s. The token is shown "
          "only now.\n",
          role == SB_ROLE_ADMIN ? "an" : "a", sb_role_name(role), o[1].values[0], o[0].values[0]);
  return SB_EXIT_OK;
}
