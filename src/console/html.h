/*
** sanbao console — writing HTML safely: every text a page shows goes
** through sb_html_escape(), every id put in a link through sb_url_segment().
** Ids come from claims files and hospitals' requests and "can hold any
** bytes" (docs/reference/formats.md): markup, quotes, invalid UTF-8, NUL.
*/
#ifndef SANBAO_CONSOLE_HTML_H
#define SANBAO_CONSOLE_HTML_H

#include <stddef.h>

#include "io/buf.h"
#include "sanbao/money.h"

/*
** Append n bytes of text as HTML that is safe both as element content and
** inside a double- or single-quoted attribute value: & < > " ' become
** entities; a byte that does not begin a well-formed UTF-8 sequence (a stray
** continuation byte, an overlong form, a surrogate, past U+10FFFF, a cut
** sequence), NUL and the other C0 controls but tab, LF and CR, and DEL,
** each become U+FFFD (the replacement character), so the page stays valid
** UTF-8 and nothing hidden reaches the browser.  Returns 0 or -1 (out of
** memory; the buffer may hold part of the text).
*/
int sb_html_escape(sb_buf *out, const char *s, size_t n);

/* sb_html_escape() of a NUL-terminated text. */
int sb_html_text(sb_buf *out, const char *s);

/*
** Append n bytes percent-encoded as one URL path segment or query value:
** every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (so "/" cannot split a
** segment and the result needs no HTML escaping in an attribute).  Returns
** 0 or -1.
*/
int sb_url_segment(sb_buf *out, const char *s, size_t n);

/*
** Percent-decode `s` in place (also '+' to a space when `form`, as an HTML
** form encodes); "%00" is kept as it is, so a NUL never cuts the text short
** (the server's own decoding does the same).  Returns the new length.
*/
size_t sb_pct_decode(char *s, int form);

/* Append an amount in yuan with two decimals ("1234.50"), from fen. */
int sb_html_money(sb_buf *out, sb_fen v);

#endif
