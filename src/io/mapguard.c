/*
** sanbao adapters — reading a mapped file without dying of SIGBUS (see
** mapguard.h).
*/
#define _GNU_SOURCE /* SA_NODEFER, siginfo_t's si_addr */
#include "io/mapguard.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

/* The guard of this thread, if any: read by the handler, which runs on the
** faulting thread (SIGBUS from a memory access is delivered to the thread
** that made it). */
static _Thread_local sb_map_guard *current;
static struct sigaction before; /* SIGBUS's disposition before ours */
static pthread_mutex_t install_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  sb_map_guard *g = current;
  const char *a = si ? (const char *)si->si_addr : NULL;
  if (g && a >= g->lo && a < g->hi) {
    current = NULL;
    siglongjmp(g->jb, 1);
  }
  /* Not a guarded read: give SIGBUS back what it had and return; the
  ** access faults again and meets it (by default, the end of the
  ** process, as without a guard).  A SIGBUS sent by kill(2) is re-raised
  ** for the same reason. */
  sigaction(SIGBUS, &before, NULL);
  if (si && si->si_code <= 0) raise(sig);
}

/* Make ours the handler of SIGBUS, keeping the one it replaces.  Checked
** at every guard, not once: whatever took SIGBUS since (a test harness
** does, around each test) would otherwise get the faults meant for us.
** Under a lock, so that two threads never both find it not ours and the
** second keep ours as "before" (a fault outside a guard would then find
** no way out). */
static void install(void) {
  pthread_mutex_lock(&install_mu);
  struct sigaction cur;
  if (sigaction(SIGBUS, NULL, &cur) == 0 &&
      !((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) == 0) before = cur;
  }
  pthread_mutex_unlock(&install_mu);
}

void sb_map_guard_enter(sb_map_guard *g, const void *at, size_t len) {
  install();
  g->lo = at;
  g->hi = (const char *)at + len;
  g->prev = current;
  current = g;
}

void sb_map_guard_leave(sb_map_guard *g) {
  if (current == g) current = g->prev;
}
