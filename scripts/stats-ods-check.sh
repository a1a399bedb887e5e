#!/usr/bin/env bash
# Opens the workbook `nrm stats` wrote in LibreOffice (headless), converts every sheet to CSV,
# and checks that each table sheet holds exactly the cells of one of the CSV files beside it,
# and that every CSV file has its sheet: the ODS opens, with the same numbers.
#
#   nrm stats --period 2024Q4 --out /tmp/stats && scripts/stats-ods-check.sh /tmp/stats
#
# Needs LibreOffice Calc: apt-get install -y --no-install-recommends libreoffice-calc-nogui
set -euo pipefail
DIR=${1:?usage: stats-ods-check.sh DIR (a folder written by nrm stats)}
ODS=$(find "$DIR" -maxdepth 1 -name '*.ods' | head -n 1)
[ -n "$ODS" ] || { echo "no .ods in $DIR" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# Field separator 44 (,), text delimiter 34 ("), UTF-8 (76), from line 1; the last token, -1,
# writes every sheet to a file of its own (LibreOffice 7.2 and later).
HOME="$OUT" soffice --headless --norestore \
  --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1' \
  --outdir "$OUT" "$ODS" >/dev/null 2>&1
python3 - "$DIR" "$OUT" <<'PY'
import csv, glob, os, re, sys

directory, converted = sys.argv[1], sys.argv[2]

def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        out = []
        for row in csv.reader(f):
            while row and row[-1] == "":
                row.pop()
            out.append(row)
        while out and not out[-1]:
            out.pop()
        return out

tables = {os.path.basename(p): rows(p) for p in glob.glob(os.path.join(directory, "*.csv"))}
sheets = sorted(glob.glob(os.path.join(converted, "*-Table_*.csv")),
                key=lambda p: int(re.search(r"Table_(\d+)", p).group(1)))
if not sheets or len(sheets) != len(tables):
    sys.exit(f"{len(sheets)} table sheets for {len(tables)} CSV files")
matched = set()
for sheet in sheets:
    body = rows(sheet)[3:]  # the title, the sheet note and the definition come first
    found = [name for name, cells in tables.items() if cells == body]
    if len(found) != 1:
        sys.exit(f"{os.path.basename(sheet)} matches {found or 'no CSV file'}")
    matched.add(found[0])
for other in ("Cover_sheet", "Contents", "Notes"):
    if not glob.glob(os.path.join(converted, f"*-{other}.csv")):
        sys.exit(f"no {other} sheet")
print(f"LibreOffice opened {os.path.basename(sys.argv[1]) or sys.argv[1]}: {len(matched)} table sheets, each the same as its CSV file")
PY
