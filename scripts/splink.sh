#!/usr/bin/env bash
# The side-by-side figure for issue 14: splink 5 (UK Ministry of Justice, DuckDB backend) on the
# same generated CSV files that `nrm bench link` writes (people-N.csv and people-N.truth.csv in
# its --dir), printing pairwise F1 (clusters at 0.9, scored by `nrm link evaluate`), time and
# peak memory per scale, beside `nrm link dedupe`'s own. A benchmark only: never run by the
# tests or CI. splink is installed into a venv under the target directory (pinned below); none
# of its code is kept in this repository.
#
#   nrm bench link --people 10000,100000 --dir target/link-bench   # writes the files
#   scripts/splink.sh [DIR]                                         # default target/link-bench
#   NRM=path/to/nrm scripts/splink.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
dir=${1:-$root/target/link-bench}
work=$target/splink
venv=$work/venv
nrm=${NRM:-$target/release/nrm}
[ -x "$nrm" ] || nrm=$target/debug/nrm
[ -x "$nrm" ] || { echo "splink.sh: build nrm first (cargo build --release -p nrm)" >&2; exit 1; }
ls "$dir"/people-*.truth.csv >/dev/null 2>&1 || {
  echo "splink.sh: no generated files in $dir: run 'nrm bench link --dir $dir' first" >&2
  exit 1
}
mkdir -p "$work"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import splink, duckdb' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'splink==5.0.0' 'duckdb==1.5.6'
fi

cat > "$work/run_splink.py" <<'PY'
# Deduplicates one generated file with splink's DuckDB backend, as a careful user would
# configure it for these columns, and writes id,cluster. Prints seconds and peak RSS.
import resource, sys, time
import duckdb
import splink
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

source, output = sys.argv[1], sys.argv[2]
started = time.perf_counter()
con = duckdb.connect()
# The cleaning a careful user does first: case folded, blanks as missing, the two date forms
# (ISO and YYYYMMDD) as ISO, postcodes without spaces.
con.execute(f"""
CREATE TABLE people AS
SELECT id AS unique_id,
       NULLIF(lower(trim(given_names)), '') AS given_names,
       NULLIF(lower(trim(family_name)), '') AS family_name,
       CASE WHEN length(date_of_birth) = 8
            THEN substr(date_of_birth, 1, 4) || '-' || substr(date_of_birth, 5, 2) || '-' || substr(date_of_birth, 7, 2)
            ELSE NULLIF(trim(date_of_birth), '') END AS date_of_birth,
       NULLIF(upper(trim(sex)), '') AS sex,
       NULLIF(lower(trim(address)), '') AS address,
       NULLIF(lower(trim(town)), '') AS town,
       NULLIF(replace(upper(postcode), ' ', ''), '') AS postcode
FROM read_csv('{source}', all_varchar=true, header=true)
""")
db_api = DuckDBAPI(connection=con)
settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        cl.NameComparison("given_names").configure(term_frequency_adjustments=True),
        cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        cl.ExactMatch("sex"),
        cl.LevenshteinAtThresholds("address", [2, 5]),
        cl.ExactMatch("postcode"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("family_name", "substr(date_of_birth, 1, 4)"),
        block_on("given_names", "date_of_birth"),
        block_on("date_of_birth", "substr(family_name, 1, 1)"),
        block_on("postcode", "substr(given_names, 1, 1)"),
        block_on("given_names", "family_name"),
    ],
    retain_intermediate_calculation_columns=False,
)
# splink 5 takes a registered table (which knows its database); splink 4 took the table name
# and the database separately.
import logging
if splink.__version__.startswith("4."):
    linker = Linker("people", settings, db_api)
else:
    linker = Linker(db_api.register("people"), settings, log_level=logging.WARNING)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_names", "family_name", "date_of_birth")], recall=0.8
)
linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("family_name", "date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
pairs = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, threshold_match_probability=0.9)
clusters.as_duckdbpyrelation().select("unique_id AS id, cluster_id AS cluster").write_csv(output)
seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"seconds={seconds:.2f} peak_mib={peak_kib / 1024:.1f}")
PY

printf '%-10s %-58s %s\n' "file" "splink 5 (DuckDB)" "nrm link dedupe"
for truth in "$dir"/people-*.truth.csv; do
  input=${truth%.truth.csv}.csv
  name=$(basename "$input" .csv)
  splink_stats=$("$venv/bin/python" "$work/run_splink.py" "$input" "$work/$name.splink.csv")
  splink_f1=$("$nrm" link evaluate --clusters "$work/$name.splink.csv" --truth "$truth")
  "$nrm" link dedupe --input "$input" --output "$work/$name.nrm.csv" --stats 2> "$work/$name.nrm.log"
  nrm_f1=$("$nrm" link evaluate --clusters "$work/$name.nrm.csv" --truth "$truth")
  printf '%-10s %s %s | %s %s\n' "$name" "$splink_f1" "$splink_stats" "$nrm_f1" "$(grep '^stats:' "$work/$name.nrm.log")"
done
