/*
** sanbao adapters — `sanbao db explain`: the explanation of a claim the
** ledger holds, in the words of `sanbao settle --explain` (batch/explain.h).
*/
#ifndef SANBAO_LEDGER_EXPLAIN_H
#define SANBAO_LEDGER_EXPLAIN_H

#include "io/buf.h"
#include "store/store.h"

/*
** Append the explanation of claim `id` to `out`.
**
** A settled claim is explained by settling it again, from the ledger
** alone: its person-year's accumulators before it are rebuilt from the
** stored rows that were settled before it — the rows of earlier runs, then
** those of its own import in canonical order (docs/reference/settlement.md
** §4; a server run settles in arrival order) — each applied from its stored
** result, a reversal taking its original back out (§6) and the monitoring
** rules firing as they did (§5.4); then the claim is stepped once more with
** a trace.  The text is the one `settle --explain` writes for the same claim
** over the same inputs, fee lines included (read back from the ledger).  If
** the amounts stepped now differ from the stored ones (the registry or the
** policy changed since), a last line says so: the stored row is what was paid.
**
** A reversal is explained as `settle --explain` does; a rejected row by its
** reason, with its place in the ledger instead of its line in a file.
**
** Returns 0, 1 when the ledger holds no row with that id, or a negative
** SB_E* code with `err` filled.
*/
int sb_ledger_explain(sb_store *st, const char *id, size_t len, sb_buf *out, sb_error *err);

#endif
