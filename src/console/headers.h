/*
** sanbao console — Chinese column headers for the CSV files a bureau opens
** in Excel (`--headers zh` of the exports and of `db history`).
*/
#ifndef SANBAO_CONSOLE_HEADERS_H
#define SANBAO_CONSOLE_HEADERS_H

#include "io/buf.h"

/* The Chinese header of a column named `name` (n bytes) in the files of
** docs/reference/formats.md, or NULL when it has none. */
const char *sb_csv_column_zh(const char *name, size_t n);

/*
** Rewrite the CSV text in `b`, whose first line is its header: each column
** name that has a Chinese header gets it (the others stay), and the text
** begins with a UTF-8 byte-order mark.  Excel opens a CSV without the mark
** in the machine's code page (GBK on a Chinese Windows), which garbles
** every Chinese name; with it, as UTF-8.  The rows are not changed (their
** values — status words, reasons, categories — stay the codes the formats
** define, so a file read back by a program means the same).  Returns 0 or
** -1 (out of memory: `b` is then as it was).
*/
int sb_csv_zh_header(sb_buf *b);

#endif
