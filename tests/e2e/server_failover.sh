#!/bin/sh
# e2e: a PostgreSQL ledger fails over and loses nothing.  Two local
# clusters: a primary and a synchronous standby made from it with
# pg_basebackup (both on 127.0.0.1, started and stopped here).  A server
# is given both hosts in one URI with target_session_attrs=read-write.
#  - claims answered before the primary dies are all on the standby once
#    it is promoted (a synchronous standby has every commit);
#  - while no primary is reachable every claim is answered 503 with
#    Retry-After and nothing is stored;
#  - once the standby is promoted the same server reconnects by itself and
#    a retried claim settles exactly once; a claim answered before the
#    crash and sent again is a replay.
# PostgreSQL only: runs as e2e-pg/server_failover (SANBAO_STORE=pg), the
# only entry ctest has for it; run by hand without it, it says so and skips.
# Usage: sh server_failover.sh SANBAO_BINARY PROJECT_ROOT  (prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
if [ "${SANBAO_STORE:-sqlite}" != pg ]; then
  skip "failover of a PostgreSQL primary: runs as e2e-pg/server_failover (SANBAO_STORE=pg)"
  finish
fi
if ! command -v curl >/dev/null 2>&1; then
  skip "no curl: the server is not tested"
  finish
fi
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
policy=$root/policies/hunan-2022.json
srvpid=
sb_dir=$pg_dir/standby
trap '[ -n "$srvpid" ] && kill -KILL "$srvpid" 2>/dev/null; _pg_as "$PGBIN/pg_ctl" -D "$sb_dir" -m immediate stop >/dev/null 2>&1; store_cleanup; rm -rf "$work"' EXIT

# ---- the primary (lib/pg.sh's cluster) and its synchronous standby ---------------------
db=$work/ha.db
uri1=$(db_uri "$db")
dbname=${uri1##*/}
run gen --persons 40 --claims 200 --seed 4 --out "$work/gen"
"$real_bin" db init --db "$uri1" 2>/dev/null && "$real_bin" db add-policy --db "$uri1" "$policy" 2>/dev/null &&
  "$real_bin" db import-persons --db "$uri1" --persons "$work/gen/persons.csv" 2>/dev/null
expect_rc "the ledger on the primary" 0
sb_port=$(_pg_free_port $((pg_port + 1)))
if ! _pg_as "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U postgres -D "$sb_dir" -R \
  -X stream -c fast -d "application_name=standby1" >"$work/basebackup.log" 2>&1; then
  bad "pg_basebackup"; sed 's/^/    /' "$work/basebackup.log" | head -5; finish
fi
ok
# the standby on its own port; the primary waits for it at every commit
if _pg_as "$PGBIN/pg_ctl" -D "$sb_dir" -l "$pg_dir/standby.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $sb_port -c unix_socket_directories=$pg_dir -c fsync=off" \
  start >/dev/null 2>&1; then ok; else bad "the standby did not start"; tail -5 "$pg_dir/standby.log"; finish; fi
pg_sql postgres "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" >/dev/null
pg_sql postgres "SELECT pg_reload_conf()" >/dev/null
i=0
until [ "$(pg_sql postgres "SELECT sync_state FROM pg_stat_replication")" = sync ] || [ $i -ge 100 ]; do
  sleep 0.1; i=$((i + 1))
done
same_text "the standby is synchronous" sync "$(pg_sql postgres "SELECT sync_state FROM pg_stat_replication")"

# ---- a server given both hosts ----------------------------------------------------------
run tokens add --file "$work/tokens" --institution H1 --role hospital
tok=$(cat "$work/out.txt")
both="postgresql://postgres@127.0.0.1:$pg_port,127.0.0.1:$sb_port/$dbname?target_session_attrs=read-write&connect_timeout=2"
start_server "$both" "$work/srv.log"

# post K: claim row K of the plan; the status code in $code, the answer in
# $work/ans-K.json, the headers in $work/hdr.txt
awk -F, 'NR > 1 && $10 == ""' "$work/gen/claims.csv" | head -60 >"$work/plan.csv"
post() {
  _j=$(awk -F, -v k="$1" 'NR == k {
    split("claim_id person_id date visit_type level medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt", name, " ")
    j = ""; for (f = 1; f <= 9; f++) if (f <= 6 || $f != "") j = j (j == "" ? "{" : ",") "\"" name[f] "\":\"" $f "\""
    print j "}" }' "$work/plan.csv")
  code=$(curl -s -m 30 -D "$work/hdr.txt" -o "$work/ans-$1.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' --data-binary "$_j" \
    "$base/v1/settlements" 2>/dev/null)
}
: >"$work/answered.txt"
k=1
while [ $k -le 40 ]; do
  post $k
  case $code in 201 | 422) echo "$k" >>"$work/answered.txt" ;; *) bad "claim $k before the crash: HTTP $code" ;; esac
  k=$((k + 1))
done
same_text "40 claims answered before the crash" 40 "$(wc -l <"$work/answered.txt" | tr -d ' ')"

# ---- the primary dies; nothing answers writes until the standby is promoted ------------
_pg_as "$PGBIN/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1
post 41
same_text "no primary: 503" 503 "$code"
if grep -qi '^Retry-After:' "$work/hdr.txt"; then ok; else bad "no primary: no Retry-After"; fi
_pg_as "$PGBIN/pg_ctl" -D "$sb_dir" -w promote >/dev/null 2>&1
same_text "the standby promoted" f "$(PGOPTIONS=--client-min-messages=warning "$PGBIN/psql" -X -q -A -t -h 127.0.0.1 -p "$sb_port" -U postgres -d postgres -c 'SELECT pg_is_in_recovery()')"
post 41
same_text "the server reconnected to the new primary: the retried claim settles" 201 "$code"
post 41
same_text "the retry again: a replay" 200 "$code"
post 7
same_text "a claim answered before the crash, sent again: a replay" 200 "$code"
k=42
while [ $k -le 60 ]; do
  post $k
  case $code in 201 | 422) ;; *) bad "claim $k after the failover: HTTP $code" ;; esac
  k=$((k + 1))
done
stop_server "the server after the failover"

# ---- the new primary holds every answered claim, each once ------------------------------
uri2="postgresql://postgres@127.0.0.1:$sb_port/$dbname"
"$real_bin" db export-settlements --db "$uri2" --out "$work/after.csv" 2>/dev/null
same_text "every claim on the new primary, once" 60 "$(($(wc -l <"$work/after.csv") - 1))"
awk -F, 'NR > 1 { print $1 }' "$work/after.csv" | sort >"$work/ids.txt"
same_text "no claim id twice" "" "$(uniq -d "$work/ids.txt")"
cut -d, -f1 "$work/plan.csv" | sort >"$work/want-ids.txt"
same_file "the claims stored are the claims sent" "$work/want-ids.txt" "$work/ids.txt"
finish
