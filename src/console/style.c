/*
** sanbao console — the one stylesheet (served at /console/static/console.css,
** so that the Content-Security-Policy can forbid inline style).  The print
** rules make a 结算单 fit one A4 page with the navigation left out.
*/
#include "console/console_int.h"

const char sb_console_css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\","
    "\"Microsoft YaHei\",sans-serif;margin:0;color:#1a1a1a;background:#fff}\n"
    "header{background:#21409a;color:#fff;padding:.4em 1em}\n"
    "header a{color:#fff;margin-right:1.2em;text-decoration:none;font-weight:bold}\n"
    "nav{display:flex;align-items:center;flex-wrap:wrap;gap:.4em}\n"
    "nav form{display:inline-flex;gap:.3em;margin-left:auto}\n"
    "nav form.logout{margin-left:.6em}\n"
    "nav input[name=q]{width:22em}\n"
    "main{padding:1em 2em;max-width:72em}\n"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}\n"
    "span[lang=en]{color:#555;font-weight:normal;font-size:.9em}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\n"
    "th{background:#f2f4fa}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "tr.rejected td{color:#8a1c1c}tr.reversal td{color:#555;font-style:italic}\n"
    ".assumed{border:2px solid #c77700;background:#fff6e5;padding:.3em 1em;margin:1em 0}\n"
    ".error{border:2px solid #a00;background:#fee;padding:.5em 1em}\n"
    ".ok{border:2px solid #2a7a2a;background:#efe;padding:.5em 1em}\n"
    "footer{color:#777;font-size:.8em;padding:1em 2em}\n"
    "svg text{font-size:11px;fill:#333}\n"
    ".slip{border:1px solid #333;padding:1em 1.5em;max-width:40em}\n"
    ".slip h2{text-align:center;border:0}\n"
    ".total td{font-weight:bold}\n"
    "pre.explain{white-space:pre-wrap;font-size:.9em;background:#f7f8fb;padding:.6em 1em;"
    "border:1px solid #ddd}\n"
    "@media print{.noprint{display:none}main{padding:0}"
    ".slip{border:0;max-width:none;break-after:page}body{font-size:11pt}"
    "a{color:inherit;text-decoration:none}@page{size:A4;margin:15mm}}\n";
