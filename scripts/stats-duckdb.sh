#!/usr/bin/env bash
# The DuckDB anchor for `nrm bench stats`: the same counts as the statistics tables (every
# breakdown of referrals, Duty to Notify reports and RG/CG decisions, for a quarter and a
# year), computed by DuckDB over the CSV export of the same facts.
#
#   nrm bench stats --export /tmp/stats-facts      # writes /tmp/stats-facts/<backend>/*.csv
#   scripts/stats-duckdb.sh /tmp/stats-facts/sqlite 2026Q3
#
# DuckDB is pinned and installed in a virtual environment of its own (created on first use).
set -euo pipefail
DIR=${1:?usage: stats-duckdb.sh FACTS_DIR PERIOD (2024Q4 or 2024)}
PERIOD=${2:?usage: stats-duckdb.sh FACTS_DIR PERIOD}
DUCKDB_VERSION=1.5.6
VENV=${NRM_DUCKDB_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/nrm-duckdb-$DUCKDB_VERSION}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "duckdb==$DUCKDB_VERSION"
fi
exec "$VENV/bin/python" - "$DIR" "$PERIOD" <<'PY'
import resource, sys, time
import duckdb

directory, period = sys.argv[1], sys.argv[2]
if "Q" in period.upper():
    year, q = period.upper().split("Q")
    start_month = (int(q) - 1) * 3 + 1
    start = f"{year}-{start_month:02d}-01"
    end = f"CAST('{start}' AS DATE) + INTERVAL 3 MONTH"
    year_start, year_end = f"{year}-01-01", f"CAST('{year}-01-01' AS DATE) + INTERVAL 1 YEAR"
else:
    start, end = f"{period}-01-01", f"CAST('{period}-01-01' AS DATE) + INTERVAL 1 YEAR"
    year_start, year_end = start, end

con = duckdb.connect()
t0 = time.perf_counter()
con.execute(f"CREATE TABLE facts AS SELECT * FROM read_csv('{directory}/facts.csv', header=true)")
con.execute(f"CREATE TABLE decisions AS SELECT * FROM read_csv('{directory}/decisions.csv', header=true)")
loaded = time.perf_counter() - t0

BREAKDOWNS = ["gender", "nationality", "exploitation", "location", "first_responder",
              "authority", "nation", "police_force_area"]
DTN = ["gender", "nationality", "exploitation", "first_responder"]
DECISIONS = ["authority", "age", "gender", "nationality", "exploitation"]

def tables(lo, hi):
    out = {}
    window = f"referred_on >= CAST('{lo}' AS DATE) AND referred_on < {hi}"
    for by in BREAKDOWNS:
        out[f"referrals_by_{by}"] = con.execute(
            f"SELECT {by}, age, COUNT(*) FROM facts WHERE kind = 'referral' AND {window} GROUP BY ALL").fetchall()
    for by in DTN:
        out[f"duty_to_notify_by_{by}"] = con.execute(
            f"SELECT {by}, age, COUNT(*) FROM facts WHERE kind = 'duty_to_notify' AND {window} GROUP BY ALL").fetchall()
    dwindow = f"decided_on >= CAST('{lo}' AS DATE) AND decided_on < {hi}"
    for stage in ["rg", "cg"]:
        for by in DECISIONS:
            out[f"{stage}_decisions_by_{by}"] = con.execute(
                f"SELECT {by}, outcome, COUNT(*) FROM decisions WHERE stage = '{stage}' AND {dwindow} GROUP BY ALL").fetchall()
    out["median_days_to_decision"] = con.execute(
        f"SELECT stage, authority, COUNT(*), MEDIAN(decided_on - referred_on) FROM decisions WHERE first AND {dwindow} GROUP BY ALL").fetchall()
    return out

t0 = time.perf_counter()
q = tables(start, end)
y = tables(year_start, year_end)
counted = time.perf_counter() - t0
total = lambda rows: sum(r[-1] for r in rows)
print(f"duckdb {duckdb.__version__}: {con.execute('SELECT COUNT(*) FROM facts').fetchone()[0]} facts")
print(f"  {period}: {total(q['referrals_by_gender'])} referrals, {total(q['duty_to_notify_by_gender'])} Duty to Notify reports, "
      f"{total(q['rg_decisions_by_authority'])} RG decisions, {total(q['cg_decisions_by_authority'])} CG decisions")
print(f"  loading the CSV: {loaded:.2f} s; every count for the quarter and the year: {counted:.3f} s; "
      f"together {loaded + counted:.2f} s; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
PY
