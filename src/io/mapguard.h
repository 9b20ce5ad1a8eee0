/*
** sanbao adapters — reading a mapped file without dying of SIGBUS.
**
** simulate maps its big inputs (the pack's records, the persons file for
** its digest) instead of read()ing them: no kernel copy of 10 GB.  Each
** block's pages are brought in by one MADV_POPULATE_READ, which fails —
** an error, not a crash — when the file was cut short since it was opened.
** But a file cut by another process in the instant between that call and
** the reading of the block (or pages reclaimed and the file cut before they
** are read again) makes the read fault with SIGBUS, which kills the
** process.  A guard turns that fault into an ordinary error:
**
**     sb_map_guard g;
**     if (sigsetjmp(g.jb, 0) == 0) {
**       sb_map_guard_enter(&g, map, map_len);
**       ... read the mapping ...
**       sb_map_guard_leave(&g);
**     } else {
**       ... the file shrank while it was read: report it ...
**     }
**
** The handler (process-wide, made SIGBUS's again by each enter if something
** took it meanwhile) jumps back
** only for a fault inside the guarded range on the thread that guards it;
** any other SIGBUS gets the disposition it had before (the handler puts it
** back and returns, the fault repeats).  SA_NODEFER keeps SIGBUS unblocked
** after the jump, so sigsetjmp need not save the signal mask (a system
** call each time).  Rules of setjmp apply to the caller: an automatic
** variable changed inside the guarded part and read after a jump must be
** volatile (or live in memory the caller reaches through a pointer set
** before sigsetjmp).  Guards do not nest on one thread.
*/
#ifndef SANBAO_IO_MAPGUARD_H
#define SANBAO_IO_MAPGUARD_H

#include <setjmp.h>
#include <stddef.h>

typedef struct sb_map_guard {
  sigjmp_buf jb;             /* sigsetjmp'd by the caller before entering */
  const char *lo, *hi;       /* the guarded range of addresses */
  struct sb_map_guard *prev; /* unused by callers */
} sb_map_guard;

/* Guard reads of [at, at + len) on this thread until sb_map_guard_leave;
** a fault there returns to g->jb's sigsetjmp with 1.  Makes the handler
** SIGBUS's if it is not (two system calls at most: call it per block, not
** per byte); if that fails the guard is no guard (the fault kills, as
** without one). */
void sb_map_guard_enter(sb_map_guard *g, const void *at, size_t len);

/* Stop guarding (this thread's guard); nothing when none is on. */
void sb_map_guard_leave(sb_map_guard *g);

#endif
