#!/bin/sh
# The bash completion script of sanbao, made at build time from the
# program's own help texts, so that it offers what `--help` documents:
#   sh cmake/completion.sh SANBAO_BINARY OUT
# From `sanbao --help`: the commands (COMMANDS), the words after `sanbao`
# (help) and the global options (SYNOPSIS).  From each command's `--help`:
#   - its subcommands: the SYNOPSIS lines `sanbao COMMAND WORD ...` (db, tokens);
#   - the options of the command, or of each subcommand: those its SYNOPSIS
#     line names, and those of OPTIONS (an option of OPTIONS that no
#     subcommand's line names is offered to every subcommand);
#   - what an option's value is, from the word after it (SYNOPSIS first, then
#     OPTIONS): a|b are the words offered, DIR a directory, FILE or a name
#     with a dot (OUT.html) a file, anything else (N, DATE, ID) is typed;
#   - whether a command takes a file as an argument (POLICY.json).
set -eu
bin=$1
out=$2
tmp=$out.tmp.$$
trap 'rm -f "$tmp" "$tmp".*' EXIT
trap 'exit 2' HUP INT TERM

"$bin" --help >"$tmp.main"
version=$("$bin" --version | sed -n '1s/^sanbao //p')
commands=$(awk '/^[A-Z]/ { on = ($0 == "COMMANDS"); next }
                on && /^    [a-z][a-z0-9-]*  / { print $1 }' "$tmp.main" | tr '\n' ' ')
commands=${commands% }
# after `sanbao`: the commands, other words of SYNOPSIS (help); options
top_words=$(awk '/^[A-Z]/ { on = ($0 == "SYNOPSIS"); next }
                 on && $1 == "sanbao" && $2 ~ /^[a-z][a-z0-9-]*$/ { print $2 }' "$tmp.main" |
  tr '\n' ' ')
top_words=${top_words% }
top_opts=$(awk '/^[A-Z]/ { on = ($0 == "SYNOPSIS"); next }
                on && $1 == "sanbao" && $2 ~ /^-/ { print $2 }' "$tmp.main" | tr '\n' ' ')
top_opts=${top_opts% }
if [ -z "$commands" ] || [ -z "$version" ]; then
  echo "completion.sh: '$bin --help' lists no COMMANDS, or '--version' no version" >&2
  exit 1
fi

# One command's help text to the arms of the generated case statements:
# $tmp.subs (COMMAND -> subcommands), $tmp.opts (COMMAND/SUB -> options),
# $tmp.vals (COMMAND/SUB/OPTION -> what its value is), $tmp.pos (takes files).
: >"$tmp.subs"
: >"$tmp.opts"
: >"$tmp.vals"
: >"$tmp.pos"
for c in $commands; do
  "$bin" "$c" --help >"$tmp.cmd"
  LC_ALL=C awk -v cmd="$c" -v subs="$tmp.subs" -v opts="$tmp.opts" -v vals="$tmp.vals" \
    -v pos="$tmp.pos" '
    function kind(v, w) {
      if (v ~ /\|/) { w = v; gsub(/\|/, " ", w); return "words " w }
      if (v ~ /DIR$/) return "dir"
      if (v ~ /FILE/ || v ~ /\./) return "file"
      return "none"
    }
    function add(s, o) {
      if ((s, o) in has) return
      has[s, o] = 1
      list[s] = list[s] " " o
      known[o] = 1
    }
    function setval(s, o, v) {
      if (!((s, o) in val)) val[s, o] = v
    }
    # one SYNOPSIS entry: sanbao CMD [SUB] tokens...
    function entry(line,    n, t, i, s, tok, core, closes, nx, v) {
      n = split(line, t, " ")
      s = ""
      i = 3
      if (n >= 3 && t[3] ~ /^[a-z][a-z0-9-]*$/) {
        s = t[3]
        i = 4
        if (!(s in issub)) { issub[s] = 1; sublist = sublist " " s; nsub++ }
      }
      seen[s] = 1
      for (; i <= n; i++) {
        tok = t[i]
        core = tok
        gsub(/^[\[(]+/, "", core)
        closes = (core ~ /[\]),|]$/)
        gsub(/[\]),|]+$/, "", core)
        if (core ~ /^--?[A-Za-z]/) {
          add(s, core)
          if (!closes && i < n) {
            nx = t[i + 1]
            if (nx !~ /^[\[(|-]/ && nx !~ /^\.\.\./) {
              v = nx
              gsub(/[\])]+$/, "", v)
              setval(s, core, v)
              i++
            }
          }
        } else if (core != "" && core != "|" && core !~ /^\.\.\./) {
          positional[s] = 1
        }
      }
    }
    /^[A-Z][A-Z ]*$/ { if (buf != "") entry(buf); buf = ""; sec = $0; next }
    sec == "SYNOPSIS" && $1 == "sanbao" && $2 == cmd { if (buf != "") entry(buf); buf = $0; next }
    sec == "SYNOPSIS" && buf != "" && NF > 0 { buf = buf " " $0; next }
    sec == "OPTIONS" && /^    -/ {
      s = substr($0, 5)
      while (match(s, /^-[-A-Za-z0-9]*/)) {
        o = substr(s, 1, RLENGTH)
        s = substr(s, RLENGTH + 1)
        no++
        oopt[no] = o
        sub(/^, /, "", s)
      }
      # the value: the word after the names, one space away
      if (s ~ /^ [^ ]/) {
        v = substr(s, 2)
        sub(/ .*/, "", v)
        oval[o] = v
      }
      next
    }
    END {
      if (buf != "") entry(buf)
      for (i = 1; i <= no; i++) {
        o = oopt[i]
        if (nsub == 0) {
          add("", o)
          if (o in oval) setval("", o, oval[o])
          continue
        }
        named = 0
        for (s in issub) if ((s, o) in has) named = 1
        for (s in issub) {
          if (!named) add(s, o)
          if (((s, o) in has) && (o in oval)) setval(s, o, oval[o])
        }
      }
      if (nsub > 0) {
        print "    " cmd ") echo \x27" substr(sublist, 2) "\x27 ;;" >> subs
        list[""] = " -h --help"
      }
      if (nsub > 0) { n = split(substr(sublist, 2), order, " ") } else { n = 0 }
      order[0] = ""
      for (k = 0; k <= n; k++) {
        s = order[k]
        if (!(s in list)) continue
        print "    " cmd "/" s ") echo \x27" substr(list[s], 2) "\x27 ;;" >> opts
        if (s in positional) print "    " cmd "/" s ") return 0 ;;" >> pos
        m = split(substr(list[s], 2), ol, " ")
        for (j = 1; j <= m; j++)
          if ((s, ol[j]) in val)
            print "    " cmd "/" s "/" ol[j] ") echo \x27" kind(val[s, ol[j]]) "\x27 ;;" >> vals
      }
    }' "$tmp.cmd"
done

{
  cat <<EOF
# bash completion for sanbao(1)
# Generated by cmake/completion.sh from the help texts of sanbao $version: do not edit.
# shellcheck shell=bash

# _sanbao_subcommands COMMAND: its subcommands, if it has any
_sanbao_subcommands() {
  case \$1 in
EOF
  cat "$tmp.subs"
  cat <<EOF
  esac
}

# _sanbao_options COMMAND SUBCOMMAND: the options
_sanbao_options() {
  case \$1/\$2 in
EOF
  cat "$tmp.opts"
  cat <<EOF
  esac
}

# _sanbao_value COMMAND SUBCOMMAND OPTION: what the option's value is: file,
# dir, none (typed: a number, a date, an id) or 'words W...'; nothing when
# the option takes no value
_sanbao_value() {
  case \$1/\$2/\$3 in
EOF
  cat "$tmp.vals"
  cat <<EOF
  esac
}

# _sanbao_takes_files COMMAND SUBCOMMAND: whether it takes files as arguments
_sanbao_takes_files() {
  case \$1/\$2 in
EOF
  cat "$tmp.pos"
  cat <<EOF
  esac
  return 1
}

_sanbao() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev='' cmd sub='' kind
  ((COMP_CWORD > 0)) && prev=\${COMP_WORDS[COMP_CWORD - 1]}
  # --option=VALUE: bash breaks the word at '='
  if [[ \$cur == = ]]; then
    cur=
  elif [[ \$prev == = ]] && ((COMP_CWORD > 1)); then
    prev=\${COMP_WORDS[COMP_CWORD - 2]}
  fi
  COMPREPLY=()
  if ((COMP_CWORD == 1)); then
    if [[ \$cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W '-h --help $top_opts' -- "\$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W '$top_words $commands' -- "\$cur")
    fi
    return 0
  fi
  cmd=\${COMP_WORDS[1]}
  if [[ \$cmd == help ]]; then
    ((COMP_CWORD == 2)) && mapfile -t COMPREPLY < <(compgen -W '$commands' -- "\$cur")
    return 0
  fi
  local subs
  subs=\$(_sanbao_subcommands "\$cmd")
  if [[ -n \$subs ]]; then
    if ((COMP_CWORD == 2)); then
      if [[ \$cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "\$(_sanbao_options "\$cmd" "")" -- "\$cur")
      else
        mapfile -t COMPREPLY < <(compgen -W "\$subs" -- "\$cur")
      fi
      return 0
    fi
    sub=\${COMP_WORDS[2]}
  fi
  kind=\$(_sanbao_value "\$cmd" "\$sub" "\$prev")
  case \$kind in
    file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "\$cur")
      return 0
      ;;
    dir)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "\$cur")
      return 0
      ;;
    none) return 0 ;;
    words\ *)
      mapfile -t COMPREPLY < <(compgen -W "\${kind#words }" -- "\$cur")
      return 0
      ;;
  esac
  if [[ \$cur != -* ]] && _sanbao_takes_files "\$cmd" "\$sub"; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "\$cur")
    return 0
  fi
  mapfile -t COMPREPLY < <(compgen -W "\$(_sanbao_options "\$cmd" "\$sub")" -- "\$cur")
  return 0
}
complete -F _sanbao sanbao
EOF
} >"$tmp"
mv "$tmp" "$out"
