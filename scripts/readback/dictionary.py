"""The data dictionary of exports/README.md as (file, column, type) rows.

Every `## name.csv` section holds a table `| column | type | meaning |`; a row may name several
columns of one type (`a, b, c`, in file order); a column written as `*rater*` stands for one
column per rater (any name). Types are normalised to: text, integer,
number, boolean, time. Used by the read-back checks (pandas here, readr in check.R).
"""

import re
import sys

TYPES = {
    "text": "text",
    "integer": "integer",
    "number": "number",
    "decimal": "number",
    "boolean": "boolean",
    "boolean (`true`/`false`)": "boolean",
    "ISO 8601 time": "time",
}


def parse(readme_path):
    """{file: [(column, type)]} in the order documented."""
    text = open(readme_path, encoding="utf-8").read()
    out = {}
    for section in re.split(r"\n## ", text)[1:]:
        name = section.split("\n", 1)[0].strip()
        if not name.endswith(".csv"):
            continue
        cols = []
        for line in section.split("\n"):
            m = re.match(r"^\| (.+?) \| (.+?) \| ", line)
            if not m or m.group(1) in ("column", "---"):
                continue
            kind = m.group(2).strip()
            # A row may name several columns of one type: `a, b, c` (in file order).
            for column in m.group(1).split(", "):
                column = column.strip().strip("`")
                if kind not in TYPES:
                    sys.exit(f"exports/README.md, {name}: column {column}: unknown type '{kind}'")
                cols.append((column, TYPES[kind]))
        if not cols:
            sys.exit(f"exports/README.md, {name}: no column table")
        out[name] = cols
    return out


if __name__ == "__main__":
    # Writes file,column,type as CSV for the R check.
    import csv

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["file", "column", "type"])
    for f, cols in parse(sys.argv[1]).items():
        for c, t in cols:
            w.writerow([f, c, t])
