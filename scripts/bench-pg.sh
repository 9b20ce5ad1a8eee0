#!/bin/sh
# The PostgreSQL store's import benchmark (not a test): `sanbao gen` claims
# imported with `sanbao db import-claims` into a fresh PostgreSQL ledger (COPY,
# one transaction, durable: the cluster runs with fsync on, its settings
# below) and, as the
# anchor, into a fresh SQLite ledger.  The cluster is a throwaway one of
# tests/e2e/lib/pg.sh (initdb, 127.0.0.1 only), removed at the end.
# Usage: scripts/bench-pg.sh [CLAIMS [PERSONS]]   (default 2000000 200000)
# The generated files are kept in out/bench/ and reused when present.
set -eu
cd "$(dirname "$0")/.."
claims=${1:-2000000}
persons=${2:-$((claims / 10))}
# shellcheck source=scripts/bench-setup.sh
. scripts/bench-setup.sh
bin=$PWD/$bin
dir=out/bench/p$persons-c$claims
if ! [ -f "$dir/claims.csv" ]; then
  mkdir -p "$dir"
  echo "== generating $persons persons and $claims claims into $dir"
  "$bin" gen --persons "$persons" --claims "$claims" --seed 1 --year 2022 --out "$dir"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sanbao-bench-pg.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/e2e/lib/pg.sh
. tests/e2e/lib/pg.sh
# durable (fsync on), and sized as a bureau's server would be for a bulk
# import: the default 128 MB of shared buffers and 1 GB of WAL between
# checkpoints make an import of millions of rows wait for checkpoints
PG_OPTS="-c shared_buffers=2GB -c wal_buffers=64MB -c max_wal_size=8GB -c checkpoint_timeout=30min" \
  PG_FSYNC=on pg_start || exit 2
echo "== machine: $(nproc) cores, $(uname -sr); PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }')"
echo "== input: $(($(wc -l <"$dir/claims.csv") - 1)) claims of $persons persons"
for store in pg sqlite; do
  if [ $store = pg ]; then db=$(pg_uri bench); else db=$work/bench.db; fi
  "$bin" db init --db "$db" 2>/dev/null
  "$bin" db add-policy --db "$db" policies/hunan-2022.json 2>/dev/null
  "$bin" db import-persons --db "$db" --persons "$dir/persons.csv" 2>/dev/null
  echo "== $store: sanbao db import-claims --db $db --claims $dir/claims.csv"
  "$bin" db import-claims --db "$db" --claims "$dir/claims.csv" 2>&1 | grep -E 'rows:|committed in' || true
done
