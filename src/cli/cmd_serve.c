/*
** sanbao serve — the real-time settlement API over a ledger; sanbao tokens —
** the bearer tokens it accepts.  The server itself is src/server/; this file
** reads options, handles signals and prints.
*/
#include <errno.h>
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
#include "server/server.h"
#include "server/tokens.h"
#include "store/store.h"

static const char SERVE_USAGE[] =
    "NAME\n"
    "    sanbao serve - the real-time one-stop settlement API (一站式结算) for hospitals\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao serve --db FILE --tokens FILE [--policy FILE ...] [--listen HOST:PORT]\n"
    "                 [--threads N] [--max-connections N] [--max-per-ip N]\n"
    "                 [--timeout SECONDS] [--max-body BYTES] [--grace SECONDS]\n"
    "                 [--stats SECONDS] [--access-log] [--console-secure-cookie]\n"
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
    "    hold personal data.  Admin tokens also open the bureau console, HTML pages\n"
    "    for clerks at /console/ (docs/console.md).\n"
    "\n"
    "    The tokens file, the registry, the policies and the catalogue are read\n"
    "    when the server starts, and again on SIGHUP (kill -HUP PID): after 'sanbao\n"
    "    db import-persons', 'db add-policy', 'db add-catalog' or 'sanbao tokens\n"
    "    add/revoke', send SIGHUP.  A reload is all or nothing: if a file cannot be\n"
    "    read, the server keeps what it had and logs why; requests under way are\n"
    "    answered with what they started with.  SIGTERM or SIGINT stops it\n"
    "    gracefully: no new connection is accepted, requests under way finish,\n"
    "    queued claims are committed, then it exits 0.\n"
    "\n"
    "OPTIONS\n"
    "    --db FILE            the ledger: an SQLite file, or a postgresql:// URI (several\n"
    "                         servers may share one PostgreSQL ledger; docs/ledger.md)\n"
    "    --tokens FILE        the tokens file (hashes only)\n"
    "    --policy FILE        a policy to settle under (repeatable); stored in the\n"
    "                         ledger when it has none for that year; a different\n"
    "                         one for the same year stops the start (exit 2)\n"
    "    --listen HOST:PORT   numeric address (default 127.0.0.1:8080: loopback\n"
    "                         only); port 0 picks a free port; [::1]:PORT for IPv6\n"
    "    --threads N          HTTP threads, 1 to 64 (default 2)\n"
    "    --max-connections N  open connections at most, 1 to 100000 (default 1024)\n"
    "    --max-per-ip N       open connections from one client address at most,\n"
    "                         1 to 100000 (default 128; behind a reverse proxy or\n"
    "                         a load balancer every client has its address: raise\n"
    "                         it to --max-connections)\n"
    "    --timeout SECONDS    a connection idle this long is closed; so is one\n"
    "                         whose request line and headers, or whose body, take\n"
    "                         longer than this to arrive; 1 to 3600 (default 30)\n"
    "    --max-body BYTES     larger request bodies are answered 413; 256 to\n"
    "                         16777216 (default 262144)\n"
    "    --grace SECONDS      at stop, how long requests under way may take, 0 to\n"
    "                         3600 (default 10)\n"
    "    --stats SECONDS      a line of counts on standard error this often, 0 to\n"
    "                         86400 (default 60; 0: never)\n"
    "    --access-log         a line per request on standard error: route template,\n"
    "                         status, microseconds, institution (never an id)\n"
    "    --console-secure-cookie  the console's session cookie is marked Secure:\n"
    "                         behind an HTTPS reverse proxy (docs/console.md)\n"
    "    -h, --help           this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 stopped by a signal after a clean shutdown; 2 usage error, a bad ledger,\n"
    "    tokens or policy file, or the address cannot be listened on.\n"
    "\n"
    "EXAMPLE\n"
    "    sanbao db init --db ledger.db\n"
    "    sanbao db import-persons --db ledger.db --persons persons.csv\n"
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
    log_line(NULL, "second signal: exiting now, without waiting");
    fflush(stderr);
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
  S_MAXPERIP,
  S_TIMEOUT,
  S_MAXBODY,
  S_GRACE,
  S_STATS,
  S_ACCESS,
  S_SECURE,
  S_N
};

int sb_cmd_serve(int argc, char **argv) {
  sb_opt o[S_N] = {{"--db", 1, 0, 0, 0, {0}},
                   {"--tokens", 1, 0, 0, 0, {0}},
                   {"--policy", 0, 1, 0, 0, {0}},
                   {"--listen", 0, 0, 0, 0, {0}},
                   {"--threads", 0, 0, 0, 0, {0}},
                   {"--max-connections", 0, 0, 0, 0, {0}},
                   {"--max-per-ip", 0, 0, 0, 0, {0}},
                   {"--timeout", 0, 0, 0, 0, {0}},
                   {"--max-body", 0, 0, 0, 0, {0}},
                   {"--grace", 0, 0, 0, 0, {0}},
                   {"--stats", 0, 0, 0, 0, {0}},
                   {"--access-log", 0, 0, 1, 0, {0}},
                   {"--console-secure-cookie", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, S_N, SERVE_USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  long threads = 2, maxconn = 1024, perip = 128, timeout = 30, maxbody = 262144, grace = 10,
       stats = 60;
  if ((o[S_THREADS].count && sb_cli_long("serve", &o[S_THREADS], 1, 64, &threads)) ||
      (o[S_MAXCONN].count && sb_cli_long("serve", &o[S_MAXCONN], 1, 100000, &maxconn)) ||
      (o[S_MAXPERIP].count && sb_cli_long("serve", &o[S_MAXPERIP], 1, 100000, &perip)) ||
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

  sb_server_config cfg = {.db_path = db,
                          .tokens_path = o[S_TOKENS].values[0],
                          .listen = sb_cli_value(&o[S_LISTEN], "127.0.0.1:8080"),
                          .threads = (int)threads,
                          .max_connections = (unsigned)maxconn,
                          .max_per_ip = (unsigned)perip,
                          .timeout_s = (unsigned)timeout,
                          .max_body = (size_t)maxbody,
                          .access_log = o[S_ACCESS].count > 0,
                          .console_secure_cookie = o[S_SECURE].count > 0,
                          .log = log_line,
                          .log_ctx = NULL};
  sb_server *srv;
  sb_error err = {0};
  if (sb_server_start(&cfg, &srv, &err)) return problem("serve", &err);
  const char *host = cfg.listen;
  const char *colon = strrchr(host, ':');
  fprintf(stderr, "sanbao serve: listening on http://%.*s:%d (ledger %s)\n", (int)(colon - host),
          host, sb_server_port(srv), sb_server_ledger_name(srv)); /* a password masked */
  fflush(stderr);

  uint64_t last = 0;
  for (;;) {
    struct timespec ts = {stats ? stats : 3600, 0};
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      char line[1536], summary[160];
      if (sb_server_reload(srv, summary, sizeof summary, &err))
        snprintf(line, sizeof line,
                 "SIGHUP: reload refused, the old tokens, registry and policies are kept: %s%s%s",
                 err.where[0] ? err.where : "", err.where[0] ? ": " : "", err.msg);
      else
        snprintf(line, sizeof line, "SIGHUP: reloaded %s", summary);
      log_line(NULL, line);
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
  if (sb_server_stop(srv, (unsigned)grace, &err)) {
    char line[1100];
    snprintf(line, sizeof line, "%s%s%s", err.where[0] ? err.where : "", err.where[0] ? ": " : "",
             err.msg);
    log_line(NULL, line); /* timestamped, as every line once serving */
    return SB_EXIT_USAGE;
  }
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
    "    sanbao tokens revoke --file FILE (--institution ID | --hash sha256:PREFIX)\n"
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
    "    revoke deletes the tokens of an institution, or the one token whose hash\n"
    "    begins with PREFIX (as list shows it, 8 or more hex digits).  FILE is\n"
    "    rewritten whole under a temporary name, with its mode, and renamed over\n"
    "    the old one; other lines and comments are kept.  A running server stops\n"
    "    accepting the token after SIGHUP (kill -HUP PID) or a restart.\n"
    "\n"
    "    FILE is a regular file, or a symbolic link to one: add appends to the\n"
    "    link's file and revoke rewrites it (the temporary file beside it), so\n"
    "    the link stays a link; a link that leads nowhere is an error.  A\n"
    "    directory, a device or a pipe is refused, and so is a line longer than\n"
    "    1023 bytes (named FILE:LINE).  A run that fails changes nothing: add\n"
    "    takes out the entry it appended if the token cannot be printed.\n"
    "\n"
    "    A hospital token settles, reverses and reads its institution's own\n"
    "    claims; an admin token reads every settlement, balances and alerts.\n"
    "    The server reads FILE when it starts and on SIGHUP.\n"
    "\n"
    "OPTIONS\n"
    "    --file FILE          the tokens file\n"
    "    --institution ID     1-64 of A-Z a-z 0-9 . _ - (e.g. the 定点医药机构编码)\n"
    "    --role ROLE          hospital or admin\n"
    "    --hash sha256:PREFIX revoke: the token whose hash begins so\n"
    "    -h, --help           this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 2 usage error, a bad tokens file, a read or write error.\n"
    "\n"
    "EXAMPLE\n"
    "    sanbao tokens add --file tokens --institution H430102001 --role hospital\n"
    "    sanbao tokens list --file tokens\n"
    "    sanbao tokens revoke --file tokens --hash sha256:384dd945\n";

int sb_cmd_tokens(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(TOKENS_USAGE, stdout);
    return SB_EXIT_OK;
  }
  int add = argc >= 2 && strcmp(argv[1], "add") == 0;
  int list = argc >= 2 && strcmp(argv[1], "list") == 0;
  int revoke = argc >= 2 && strcmp(argv[1], "revoke") == 0;
  if (!add && !list && !revoke) {
    fprintf(stderr, "sanbao tokens: want 'add', 'list' or 'revoke' (sanbao tokens --help)\n");
    return SB_EXIT_USAGE;
  }
  /* the subcommand's argv[0] reads "tokens add" in every message, usage
  ** errors included ("sanbao tokens add: missing required option") */
  char cmd[16];
  snprintf(cmd, sizeof cmd, "tokens %s", argv[1]);
  argv[1] = cmd;
  /* add: --file --institution --role; list: --file; revoke: --file and
  ** --institution or --hash */
  sb_opt o[3] = {{"--file", 1, 0, 0, 0, {0}},
                 {"--institution", add, 0, 0, 0, {0}},
                 {revoke ? "--hash" : "--role", add, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc - 1, argv + 1, o, add || revoke ? 3 : 1, TOKENS_USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  sb_error err = {0};
  /* A bad --institution is a usage error that names the option, as every
  ** other bad value on the command line is ("bad id: an institution id is
  ** ..." left the reader to guess which argument was meant); the library
  ** checks it again, for its other callers. */
  if (o[1].count && !sb_institution_valid(o[1].values[0])) {
    fprintf(stderr,
            "sanbao %s: option '--institution' wants 1-64 of A-Z a-z 0-9 . _ -, not '%s'\n"
            "Try 'sanbao %s --help'.\n",
            cmd, o[1].values[0], cmd);
    return SB_EXIT_USAGE;
  }
  /* and so is a bad --hash (it said "sha256:12: want the hash ...") */
  if (revoke && o[2].count && !sb_tokens_hash_prefix_valid(o[2].values[0])) {
    fprintf(stderr,
            "sanbao %s: option '--hash' wants the hash as 'tokens list' shows it (sha256: and "
            "8-64 hex digits), not '%s'\nTry 'sanbao %s --help'.\n",
            cmd, o[2].values[0], cmd);
    return SB_EXIT_USAGE;
  }
  if (revoke) {
    if (!o[1].count == !o[2].count) {
      fprintf(stderr,
              "sanbao %s: revoke takes --institution ID or --hash sha256:PREFIX "
              "(one of the two)\nTry 'sanbao %s --help'.\n",
              cmd, cmd);
      return SB_EXIT_USAGE;
    }
    sb_tokens gone;
    if (sb_tokens_revoke(o[0].values[0], o[1].count ? o[1].values[0] : NULL,
                         o[2].count ? o[2].values[0] : NULL, &gone, &err))
      return problem(cmd, &err);
    for (size_t i = 0; i < gone.n; i++)
      fprintf(stderr, "sanbao %s: revoked the %s token of %s (sha256:%02x%02x%02x%02x...)\n", cmd,
              sb_role_name(gone.v[i].role), gone.v[i].institution, gone.v[i].hash[0],
              gone.v[i].hash[1], gone.v[i].hash[2], gone.v[i].hash[3]);
    fprintf(stderr,
            "sanbao %s: %s rewritten; a running server stops accepting %s after SIGHUP "
            "(kill -HUP PID) or a restart.\n",
            cmd, o[0].values[0], gone.n == 1 ? "it" : "them");
    sb_tokens_free(&gone);
    return SB_EXIT_OK;
  }
  if (list) {
    sb_tokens t;
    if (sb_tokens_load(o[0].values[0], &t, &err)) return problem(cmd, &err);
    for (size_t i = 0; i < t.n; i++)
      printf("%-8s %-24s sha256:%02x%02x%02x%02x...\n", sb_role_name(t.v[i].role),
             t.v[i].institution, t.v[i].hash[0], t.v[i].hash[1], t.v[i].hash[2], t.v[i].hash[3]);
    sb_tokens_free(&t);
    return SB_EXIT_OK;
  }
  int role = sb_role_from_name(o[2].values[0]);
  if (role < 0) {
    fprintf(stderr, "sanbao %s: --role is hospital or admin, not '%s'\nTry 'sanbao %s --help'.\n",
            cmd, o[2].values[0], cmd);
    return SB_EXIT_USAGE;
  }
  char token[SB_TOKEN_LEN + 1];
  int existed = access(o[0].values[0], F_OK) == 0;
  if (sb_tokens_add(o[0].values[0], o[1].values[0], role, token, &err)) return problem(cmd, &err);
  /* The token is shown once: if it cannot be (standard output full or
  ** closed), nobody will ever hold it, so its entry is taken out again
  ** and the run fails, leaving the file as it was. */
  if (printf("%s\n", token) < 0 || fflush(stdout) != 0 || ferror(stdout)) {
    int e = errno;
    sb_tokens t, gone;
    const sb_token_entry *mine = NULL;
    char hash[7 + 64 + 1] = "sha256:";
    if (!sb_tokens_load(o[0].values[0], &t, &err) &&
        (mine = sb_tokens_find(&t, token, SB_TOKEN_LEN)))
      for (int i = 0; i < 32; i++)
        snprintf(hash + 7 + 2 * i, 3, "%02x", mine->hash[i]);
    int undone = mine && !sb_tokens_revoke(o[0].values[0], NULL, hash, &gone, &err);
    if (undone) sb_tokens_free(&gone);
    if (undone && !existed) unlink(o[0].values[0]); /* this run made it */
    if (mine) sb_tokens_free(&t);
    memset(token, 0, sizeof token);
    fprintf(
        stderr, "sanbao %s: cannot write the token to standard output: %s; %s\n", cmd, strerror(e),
        undone ? "the tokens file is left as it was" : "its entry is still in the file, revoke it");
    return SB_EXIT_USAGE;
  }
  fprintf(stderr,
          "sanbao %s: %s %s token for %s; its hash is in %s. The token is shown "
          "only now.\n",
          cmd, role == SB_ROLE_ADMIN ? "an" : "a", sb_role_name(role), o[1].values[0],
          o[0].values[0]);
  return SB_EXIT_OK;
}
