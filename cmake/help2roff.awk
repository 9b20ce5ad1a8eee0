# One help text of sanbao to man(7) roff; cmake/man.sh runs it.  Read the
# text twice (awk -f help2roff.awk TEXT TEXT): the first pass measures the
# OPTIONS columns.
#
# A help text is made of sections: a heading in capitals at column 0 (NAME,
# SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, ...), its text indented by 4.
#   -v level=SH             the page's own text (sanbao --help): its sections
#                           are the page's .SH sections
#   -v level=SS -v title=T  a command's text: one .SH T, its sections .SS
#   -v cut=NAME -v part=1   only the sections up to and including NAME
#   -v cut=NAME -v part=2   only the sections after NAME
# How the text becomes roff:
#   NAME                    one line (the whatis line of the page; a
#                           command's is the first paragraph of its section)
#   SYNOPSIS, EXAMPLE(S), FILES   as they are (.nf)
#   OPTIONS                 a line at the base indent that starts with '-' is
#                           an option (.TP): its names and value in bold and
#                           italics, then its description, continued by the
#                           lines indented deeper
#   COMMANDS                the same for a line 'NAME  description'
#   EXIT STATUS             the same for a line 'N  meaning'
#   elsewhere               paragraphs are filled; '- ' starts a list item
#                           (.IP), continued by the lines indented deeper;
#                           other lines indented deeper are kept as they are
#                           (.nf): tables, CSV headers, JSON
# Every text line is escaped: backslashes, '-' (\-: an option stays
# copy-pastable) and a leading '.' or "'" (which roff would read as a request).

function esc(s) {
  gsub(/\\/, "\\e", s)
  gsub(/-/, "\\-", s)
  if (s ~ /^[.']/) s = "\\&" s
  return s
}

function strip(s) {
  sub(/^ +/, "", s)
  sub(/ +$/, "", s)
  return s
}

function indent(s) {
  match(s, /^ */)
  return RLENGTH
}

# The text of a line without the section's base indent of 4.
function body(s) {
  if (substr(s, 1, 4) == "    ") return substr(s, 5)
  return strip(s)
}

# An option's or command's tag: options bold, their values italic.
function tag(s, kind,    n, i, t, out, w) {
  n = split(s, t, " ")
  out = ""
  for (i = 1; i <= n; i++) {
    w = t[i]
    if (kind == "plain") w = esc(w)
    else if (kind == "command" || w ~ /^-/) {
      if (w ~ /,$/) w = "\\fB" esc(substr(w, 1, length(w) - 1)) "\\fR,"
      else w = "\\fB" esc(w) "\\fR"
    } else w = "\\fI" esc(w) "\\fR"
    out = out (i > 1 ? " " : "") w
  }
  return out
}

# Where an option line's tag ends and its description begins: at the first
# gap of two spaces; failing that, at the column where the section's other
# descriptions begin (a long tag may leave one space only); failing that,
# the whole line is the tag.  Sets tag_s and rest_s.
function split_tag(s, col,    p) {
  p = index(s, "  ")
  if (p > 0) {
    tag_s = substr(s, 1, p - 1)
    rest_s = strip(substr(s, p))
    return
  }
  if (col > 1 && length(s) >= col && substr(s, col - 1, 1) == " ") {
    tag_s = strip(substr(s, 1, col - 1))
    rest_s = strip(substr(s, col))
    return
  }
  tag_s = strip(s)
  rest_s = ""
}

# Modes of the output: "" (a section or paragraph begins), "text" (filled),
# "nf" (as it is), "item" (in a .TP or .IP).
function close_nf() {
  if (mode == "nf") print ".fi"
}

function begin_text() {
  close_nf()
  if (mode == "item" || (pending && mode != "")) print ".PP"
  pending = 0
  mode = "text"
}

function begin_nf() {
  if (mode == "nf") {
    if (pending) print ".sp"
  } else {
    if (mode == "item" || (pending && mode != "")) print ".PP"
    print ".nf"
  }
  pending = 0
  mode = "nf"
}

function begin_item(macro, t) {
  close_nf()
  print macro
  if (t != "") print t
  pending = 0
  mode = "item"
}

function flush_name() {
  if (name == "") return
  if (level == "SH") print ".SH NAME"
  print esc(name)
  name = ""
}

function end_section() {
  flush_name()
  close_nf()
  mode = ""
  pending = 0
}

function heading(s) {
  end_section()
  section = s
  nsec++
  if (part == 1) show = !past_cut
  else if (part == 2) show = past_cut
  else show = 1
  if (cut != "" && s == cut) past_cut = 1
  if (!show || s == "NAME") return
  if (s ~ / /) s = "\"" s "\""
  print "." level " " s
}

BEGIN {
  if (level == "") level = "SH"
  show = 1
}

# First pass: the column of the descriptions in each OPTIONS-like section.
FNR == NR {
  if ($0 ~ /^[A-Z][A-Z ]*$/) {
    sec = $0
    next
  }
  if (sec == "OPTIONS" && $0 ~ /^    -/) {
    s = substr($0, 5)
    p = index(s, "  ")
    if (p > 0) {
      c = p + indent(substr(s, p))
      count[c]++
      if (count[c] > best_n) {
        best_n = count[c]
        desc_col = c
      }
    }
  }
  next
}

FNR == 1 && level == "SS" && part != 2 {
  print ".SH \"" title "\""
}

/^[A-Z][A-Z ]*$/ {
  heading($0)
  next
}

!show { next }

/^[ \t]*$/ {
  if (section == "NAME") next
  pending = 1
  next
}

section == "NAME" {
  name = (name == "" ? "" : name " ") strip($0)
  next
}

section == "SYNOPSIS" || section ~ /^EXAMPLES?$/ || section == "FILES" {
  begin_nf()
  print esc(body($0))
  next
}

# Lines at the base indent.
indent($0) == 4 {
  s = substr($0, 5)
  if (section == "OPTIONS" && s ~ /^-/) {
    split_tag(s, desc_col)
    begin_item(".TP", tag(tag_s, "option"))
    if (rest_s != "") print esc(rest_s)
    next
  }
  if (section == "COMMANDS" && s ~ /^[a-z][a-z0-9-]*  /) {
    split_tag(s, 0)
    begin_item(".TP", tag(tag_s, "command"))
    print esc(rest_s)
    next
  }
  if (section == "EXIT STATUS" && s ~ /^[0-9]+  /) {
    split_tag(s, 0)
    begin_item(".TP", tag(tag_s, "plain"))
    print esc(rest_s)
    next
  }
  if (s ~ /^- /) {
    begin_item(".IP \\(bu 2", "")
    print esc(strip(substr(s, 3)))
    next
  }
  begin_text()
  print esc(strip(s))
  next
}

# Lines indented deeper: an item's continuation, or kept as they are.
indent($0) > 4 && mode == "item" && !pending {
  print esc(strip($0))
  next
}

indent($0) > 4 {
  begin_nf()
  print esc(body($0))
  next
}

# Anything else (a line indented less than the base): a filled line.
{
  begin_text()
  print esc(strip($0))
}

END {
  end_section()
}
