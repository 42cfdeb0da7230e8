"""Reads every exported CSV back with pandas using the types of the data dictionary, and fails
with file/line/column when a value does not read as documented.

    python check.py exports/README.md DIR...
"""

import os
import sys

import pandas as pd

from dictionary import parse

# Cells a spreadsheet would run as formulas are written with a leading ' (exports/README.md,
# "Spreadsheet formulas"); reading them back takes it away, giving the exact text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The sample study's hostile Dockerfile sets this user: it must read back exactly.
HOSTILE_UNIT = "hostile-demo/readme-payloads:Dockerfile"
HOSTILE_USER = '=HYPERLINK("https://example.invalid/x","click")'


def is_number(text):
    """Whether Rust's f64 parser would take `text` (what the exporter leaves unquoted)."""
    if "_" in text or text.strip() != text:
        return False
    try:
        float(text)
        return True
    except ValueError:
        return False


def needs_quote(text):
    rest = text.lstrip("'")
    return rest.startswith(FORMULA_START) and not is_number(text)


def unquote(cell):
    """The exact text of an exported cell."""
    if cell.startswith("'") and needs_quote(cell[1:]):
        return cell[1:]
    return cell


def expand(cols, header):
    """The documented columns matched against a file's header (`*rater*` takes the rest)."""
    names = [c for c, _ in cols]
    if "*rater*" in names:
        fixed = [c for c in names if c != "*rater*"]
        if header[: len(fixed)] != fixed:
            return None
        return [(c, t) for c, t in cols if c != "*rater*"] + [(h, "text") for h in header[len(fixed):]]
    return cols if header == names else None


def check_file(path, cols):
    problems = []
    header = list(pd.read_csv(path, nrows=0, encoding="utf-8").columns)
    typed = expand(cols, header)
    if typed is None:
        return [f"{path}: header {header} is not the documented {[c for c, _ in cols]}"]
    # Everything as text first (keep_default_na off: an empty cell is missing, nothing else).
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    for column, kind in typed:
        s = raw[column]
        present = s.dropna()
        line = lambda i: i + 2  # header is line 1
        if kind == "integer":
            v = pd.to_numeric(present, errors="coerce")
            bad = v.isna() | (v != v.round())
            converted = pd.array(v, dtype="Int64") if not bad.any() else None
        elif kind == "number":
            v = pd.to_numeric(present, errors="coerce")
            bad = v.isna()
        elif kind == "boolean":
            bad = ~present.isin(["true", "false"])
        elif kind == "time":
            v = pd.to_datetime(present, format="ISO8601", utc=True, errors="coerce")
            bad = v.isna()
        else:
            # No text cell may reach a spreadsheet as a formula.
            bad = present.map(lambda x: x.startswith(FORMULA_START) and not is_number(x))
            for i in present[bad].index[:3]:
                problems.append(f"{path}:{line(i)}: {column}: '{present[i]}' would run as a formula")
            bad = present.map(lambda x: False)
        for i in present[bad].index[:3]:
            problems.append(f"{path}:{line(i)}: {column}: '{present[i]}' is not {kind}")
    if os.path.basename(path) == "dockerfiles.csv":
        hostile = raw[raw["unit"] == HOSTILE_UNIT]
        if len(hostile) == 1 and unquote(hostile["user"].iloc[0]) != HOSTILE_USER:
            problems.append(f"{path}: {HOSTILE_UNIT}: user reads back as {unquote(hostile['user'].iloc[0])!r}, not {HOSTILE_USER!r}")
    return problems


def main():
    readme, dirs = sys.argv[1], sys.argv[2:]
    dictionary = parse(readme)
    problems, files, rows = [], 0, 0
    for d in dirs:
        present = sorted(f for f in os.listdir(d) if f.endswith(".csv"))
        missing = sorted(set(dictionary) - set(present))
        undocumented = sorted(set(present) - set(dictionary))
        if missing:
            problems.append(f"{d}: documented but not exported: {', '.join(missing)}")
        if undocumented:
            problems.append(f"{d}: exported but not documented: {', '.join(undocumented)}")
        for f in present:
            if f in dictionary:
                problems += check_file(os.path.join(d, f), dictionary[f])
                files += 1
                rows += len(pd.read_csv(os.path.join(d, f), dtype=str))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"pandas {pd.__version__}: {files} files, {rows} rows read back with their documented types")


if __name__ == "__main__":
    main()
