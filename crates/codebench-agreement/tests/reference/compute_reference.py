#!/usr/bin/env python3
"""Reference values for codebench-agreement's tests, computed once with the libraries the
statistics are defined by. Documentation only: the Rust test suite does not run this.

Writes tests/reference/expected.rs (data of every case + expected results) to stdout:

    python3 -m venv /work/main/target/agreement-venv
    /work/main/target/agreement-venv/bin/pip install statsmodels scikit-learn krippendorff \
        irrCAC nltk numpy pandas mpmath
    /work/main/target/agreement-venv/bin/python tests/reference/compute_reference.py \
        > tests/reference/expected.rs

Libraries and calls (versions printed into the generated file):
- statsmodels `stats.inter_rater.cohens_kappa(table)`: kappa, std_kappa, kappa_low,
  kappa_upp (normal 95 % CI; upper limit capped at 1 here, as the crate does);
  `fleiss_kappa(table)` for complete data (cross-check of irrCAC).
- scikit-learn `metrics.cohen_kappa_score(y1, y2)`: cross-check of κ.
- irrCAC `raw.CAC(df, categories=..., digits=17).fleiss()` / `.gwet()`: value, se,
  confidence_interval (Student t, n-1 df, upper capped at 1), pa, pe. irrCAC gets the t
  quantile from SciPy's `t.interval`, which is up to ~1e-9 (relative) off the exact
  quantile (e.g. t.ppf(0.975, 6) = 2.4469118487916806, exact 2.4469118511449700); the
  interval is therefore recomputed as value -/+ t*se with the exact quantile from mpmath
  (40 digits), after checking it is within 1e-8 of irrCAC's.
- irrCAC `raw.CAC(df, categories=..., digits=17).krippendorff()`: Gwet's SE of nominal α
  and its t interval on (units with >= 2 ratings - 1) df, recomputed as above; its α is
  checked equal to the krippendorff package's to 1e-12. For the set-valued α the distinct
  code sets are the categories and the weights 1 - MASI / 1 - Jaccard distance.
- krippendorff `alpha(reliability_data, level_of_measurement="nominal")`, and with a
  callable metric (MASI / Jaccard over interned code sets) for set-valued data.
- NLTK `metrics.agreement.AnnotationTask(data, distance=...).alpha()`: cross-check of the
  set-valued α, with `masi_distance` / `jaccard_distance` (both fail on two empty sets,
  whose distance is 0 by definition, so they are wrapped).

Conventions shared with the crate: a statistic the libraries return as NaN/inf (or raise
for) is expected to be *undefined*; pairs use the units both raters rated; overall
statistics use units with >= 2 ratings (single ratings still count toward irrCAC's
category shares); AC1's q is the number of categories at the level (codebook + used).
"""

import math
import sys
import warnings
from importlib.metadata import version

import krippendorff
import mpmath
import nltk
import numpy as np
import pandas as pd
import sklearn
import statsmodels
from irrCAC.raw import CAC
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import jaccard_distance, masi_distance
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa
from statsmodels.stats.tests import test_inter_rater as sm_tests

warnings.filterwarnings("ignore")

VERSIONS = (
    f"statsmodels {statsmodels.__version__}, scikit-learn {sklearn.__version__}, "
    f"irrCAC {version('irrCAC')}, krippendorff {version('krippendorff')}, "
    f"nltk {nltk.__version__}, numpy {np.__version__}, pandas {pd.__version__}"
)

# --------------------------------------------------------------------------------------
# Cases. One-code units: one char per rater ('.' = missing). Many-code units: one token
# per rater separated by spaces ('.' = missing, '-' = empty set, else one char per code).
# --------------------------------------------------------------------------------------

CASES = []


def case(name, cardinality, raters, units, codes=(), parents=None, note=""):
    CASES.append(
        dict(
            name=name,
            cardinality=cardinality,
            raters=raters,
            units=list(units),
            codes=list(codes),
            parents=dict(parents or {}),
            note=note,
        )
    )


def from_table(table, labels):
    """Two-rater units from a contingency table (rows: rater 1)."""
    units = []
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            units += [labels[i] + labels[j]] * int(n)
    return units


def from_matrix(rows, labels, missing=None):
    return ["".join("." if v is missing else labels[v] for v in row) for row in rows]


# Wikipedia "Cohen's kappa" worked example: 50 grant proposals, yes/yes 20, yes/no 5,
# no/yes 10, no/no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
case("wiki_cohen", "one", 2, from_table([[20, 5], [10, 15]], "yn"), codes="yn")

# SAS PROC FREQ example used by statsmodels' tests (table10): kappa 0.4842, ASE 0.1380,
# 95% CI 0.2137 - 0.7547.
case("sas_table10", "one", 2, from_table(sm_tests.table10, "abc"), codes="abc")

# Fleiss (1971) psychiatric diagnoses: 30 patients, 6 raters, 5 categories; kappa 0.430
# (R irr::kappam.fleiss: 0.4302445). Data: statsmodels' test module `diagnoses`.
case("fleiss_1971", "one", 6, from_matrix(sm_tests.diagnoses, "_abcde"), codes="abcde")

# Wikipedia "Fleiss' kappa" example: 10 subjects, 14 raters, 5 categories; kappa 0.210.
# statsmodels' test module `table1` holds the subject x category counts.
wiki_units = []
for counts in sm_tests.table1.astype(int):
    wiki_units.append("".join(c * n for c, n in zip("abcde", counts)))
case("wiki_fleiss", "one", 14, wiki_units, codes="abcde")

# Krippendorff (2011) "Computing Krippendorff's alpha-reliability", reliability data with
# missing values: 4 coders x 12 units, values 1-5; nominal alpha 0.743. Same as irrCAC's
# raw_4raters (Gwet 2014) up to which column holds unit 12's single rating; Gwet's
# published AC1 0.77544 (SE 0.14295) and Fleiss 0.76117 (SE 0.15302) apply.
kripp = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
case(
    "krippendorff_2011",
    "one",
    4,
    from_matrix(list(zip(*kripp)), "_abcde"),
    codes="abcde",
)

# krippendorff package docstring example: 3 coders x 15 units with missing values,
# nominal alpha 0.691358.
kd = [
    [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
    [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
]
case("krippendorff_pkg", "one", 3, from_matrix(list(zip(*kd)), "_abcd"), codes="abcd")

rng = np.random.default_rng(20221104)


def random_one(n_units, n_raters, cats, p_missing, p_truth, weights=None):
    units = []
    for _ in range(n_units):
        truth = rng.choice(len(cats), p=weights)
        row = ""
        for _ in range(n_raters):
            if rng.random() < p_missing:
                row += "."
            elif rng.random() < p_truth:
                row += cats[truth]
            else:
                row += cats[rng.choice(len(cats), p=weights)]
        units.append(row)
    return units


case("random_nominal_4r", "one", 4, random_one(200, 4, "abcde", 0.1, 0.6), codes="abcde")
case(
    "random_nominal_2r_skewed",
    "one",
    2,
    random_one(37, 2, "ab", 0.0, 0.5, weights=[0.93, 0.07]),
    codes="ab",
    note="prevalence paradox: high p_o, low kappa",
)
case("random_nominal_3r_small", "one", 3, random_one(12, 3, "abc", 0.15, 0.5), codes="abc")
# Hierarchical one-code dimension: x, y are sub-codes of p.
case(
    "one_hierarchy",
    "one",
    3,
    random_one(60, 3, "abpxy", 0.05, 0.55),
    codes="abpxy",
    parents={"x": "p", "y": "p"},
)
# Edge cases.
case("edge_all_same_category", "one", 2, ["aa"] * 10, codes="ab")
case("edge_one_unit", "one", 3, ["aab"], codes="ab")
case("edge_two_units", "one", 2, ["ab", "bb"], codes="ab")
case("edge_perfect_agreement", "one", 2, ["aa"] * 6 + ["bb"] * 4 + ["cc"] * 2, codes="abc")
case("edge_total_disagreement", "one", 2, ["ab"] * 5 + ["ba"] * 5, codes="ab")
case(
    "edge_single_rated_units",
    "one",
    3,
    ["aaa", "ab.", "a..", ".b.", "bbb", "ba.", "..a", "abb", "b..", "aab"],
    codes="ab",
)
case(
    "edge_pair_without_overlap",
    "one",
    3,
    ["aa.", "ab.", "bb.", ".ba", ".aa", ".bb", "a.."],
    codes="ab",
)


def random_many(n_units, n_raters, codes, p_missing, p_copy, max_extra=3):
    units = []
    for _ in range(n_units):
        truth = set(rng.choice(list(codes), size=1 + rng.integers(0, max_extra), replace=True))
        if rng.random() < 0.08:
            truth = set()
        row = []
        for _ in range(n_raters):
            if rng.random() < p_missing:
                row.append(".")
                continue
            s = set(truth)
            if rng.random() >= p_copy:
                op = rng.integers(0, 3)
                if op == 0 and s:
                    s.discard(rng.choice(sorted(s)))
                elif op == 1:
                    s.add(rng.choice(list(codes)))
                else:
                    if s:
                        s.discard(rng.choice(sorted(s)))
                    s.add(rng.choice(list(codes)))
            row.append("".join(sorted(s)) or "-")
        units.append(" ".join(row))
    return units


case(
    "many_small_hand",
    "many",
    3,
    [
        "ab ab a",
        "- - -",
        "c c .",
        "abc ab c",
        "- a -",
        "b b b",
        "ac . ca",
        "d . .",
    ],
    codes="abcd",
)
case(
    "many_random_4r_hierarchy",
    "many",
    4,
    random_many(300, 4, "abcdpqxyuvw", 0.1, 0.65),
    codes="abcdpxyquvw",
    parents={"x": "p", "y": "p", "u": "q", "v": "q", "w": "q"},
)
case("many_random_2r", "many", 2, random_many(100, 2, "abcdef", 0.0, 0.6), codes="abcdef")
case("many_random_5r_missing", "many", 5, random_many(80, 5, "abcde", 0.3, 0.7), codes="abcde")
case("many_edge_all_empty", "many", 3, ["- - -"] * 5 + ["- . -"], codes="ab")
case("many_edge_identical", "many", 3, ["ab ab ab", "a a a", "b b b", "ab ab ab"], codes="abc")
case("many_edge_one_unit", "many", 2, ["ab a"], codes="ab")

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def rater_names(n):
    return [f"r{i + 1}" for i in range(n)]


def root(code, parents):
    seen = 0
    while code in parents:
        code = parents[code]
        seen += 1
        assert seen < 100
    return code


def categories(c, level):
    """Codebook order (mapped), then other used codes sorted -- as the crate does."""
    m = (lambda x: x) if level == "leaf" else (lambda x: root(x, c["parents"]))
    cats = []
    for x in c["codes"]:
        if m(x) not in cats:
            cats.append(m(x))
    extra = set()
    for u in c["units"]:
        for tok in parse_unit(c, u):
            if tok is None:
                continue
            for x in tok:
                if m(x) not in cats:
                    extra.add(m(x))
    return cats + sorted(extra), m


def parse_unit(c, u):
    if c["cardinality"] == "one":
        return [None if ch == "." else frozenset(ch) for ch in u]
    out = []
    for tok in u.split(" "):
        out.append(None if tok == "." else frozenset() if tok == "-" else frozenset(tok))
    return out


def ok(x):
    return x is not None and isinstance(x, (int, float, np.floating)) and math.isfinite(x)


EXPECT = []


def expect(c, level, stat, raters, n_units, source, code=None, value=None, se=None,
           ci=None, p_o=None, p_e=None, undefined=False):
    if not undefined and not ok(value):
        undefined = True
    EXPECT.append(
        dict(
            case=c["name"],
            level=level,
            statistic=stat,
            code=code,
            raters=raters,
            n_units=n_units,
            value=None if undefined else float(value),
            se=None if undefined or not ok(se) else float(se),
            ci=None if undefined or ci is None else (float(ci[0]), float(min(1.0, ci[1]))),
            p_o=None if undefined or not ok(p_o) else float(p_o),
            p_e=None if undefined or not ok(p_e) else float(p_e),
            undefined=undefined,
            source=source,
        )
    )


def exact_t(p, df):
    """Student t quantile to 40 digits (mpmath)."""
    mpmath.mp.dps = 40
    f = lambda t: mpmath.betainc(mpmath.mpf(df) / 2, 0.5, 0, df / (df + t * t),
                                 regularized=True) / 2 - (1 - mpmath.mpf(p))
    return float(mpmath.findroot(f, 2.0))


def irr(df, cats, which):
    """irrCAC CAC(...).fleiss()/gwet() at full precision; None when undefined."""
    df = df.dropna(how="all")
    if len(df) == 0:
        return None
    cac = CAC(df, categories=list(cats), digits=17)
    try:
        est = getattr(cac, which)()["est"]
    except (ZeroDivisionError, ValueError):
        return None
    if not ok(est["coefficient_value"]):
        return est
    return exact_interval(est, len(df) - 1)


def exact_interval(est, dof):
    """irrCAC's t interval recomputed with the exact quantile on `dof` degrees of freedom,
    after checking it is within 1e-8 of irrCAC's own; an SE below 1e-15 is irrCAC's 0."""
    se = 0.0 if est["se"] <= 1e-15 else est["se"]
    t = exact_t(0.975, dof)
    ci = (est["coefficient_value"] - t * se, min(1.0, est["coefficient_value"] + t * se))
    lo, hi = est["confidence_interval"]
    assert abs(lo - ci[0]) < 1e-8 and abs(hi - ci[1]) < 1e-8, (est, ci)
    est["confidence_interval"] = ci
    est["se"] = se
    return est


def irr_alpha(df, cats, weights="identity"):
    """irrCAC CAC(...).krippendorff() at full precision: its t interval is on (units with
    two or more ratings - 1) df."""
    df = df.dropna(how="all")
    est = CAC(df, categories=list(cats), weights=weights, digits=17).krippendorff()["est"]
    if not ok(est["coefficient_value"]):
        return None
    return exact_interval(est, int((df.notna().sum(axis=1) >= 2).sum()) - 1)


def paired_units(rows):
    return sum(1 for r in rows if sum(v is not None for v in r) >= 2)


# --------------------------------------------------------------------------------------
# One-code expectations
# --------------------------------------------------------------------------------------


def one_code(c, level):
    cats, m = categories(c, level)
    names = rater_names(c["raters"])
    rows = []
    for u in c["units"]:
        rows.append([None if t is None else m(next(iter(t))) for t in parse_unit(c, u)])
    rows = [r for r in rows if any(v is not None for v in r)]
    df = pd.DataFrame(rows, columns=names).replace({None: np.nan})
    n2 = paired_units(rows)
    q = len(cats)
    src_irr = "irrCAC CAC(df, categories=cats, digits=17)"

    g = irr(df, cats, "gwet") if n2 >= 2 else None
    if g is not None:
        expect(c, level, "percent_agreement", names, n2, f"{src_irr}.gwet()['est']['pa']",
               value=g["pa"], p_o=g["pa"])
    else:
        expect(c, level, "percent_agreement", names, n2, "fewer than 2 units", undefined=True)
    if c["raters"] >= 3:
        f = irr(df, cats, "fleiss") if n2 >= 2 else None
        all_same = len({v for r in rows for v in r if v is not None}) <= 1
        if f is None or all_same:
            expect(c, level, "fleiss_kappa", names, n2, "undefined (irrCAC: division by zero)",
                   undefined=True)
        else:
            src = f"{src_irr}.fleiss()"
            if all(all(v is not None for v in r) for r in rows):
                table = np.array([[r.count(k) for k in cats] for r in rows])
                sm = fleiss_kappa(table)
                assert abs(sm - f["coefficient_value"]) < 1e-12, (sm, f)
                src += "; = statsmodels fleiss_kappa(table)"
            expect(c, level, "fleiss_kappa", names, n2, src, value=f["coefficient_value"],
                   se=f["se"], ci=f["confidence_interval"], p_o=f["pa"], p_e=f["pe"])
    # Krippendorff nominal.
    values = {k: i for i, k in enumerate(cats)}
    rel = np.array([[np.nan if v is None else values[v] for v in r] for r in rows], float).T
    try:
        a = krippendorff.alpha(reliability_data=rel, level_of_measurement="nominal") \
            if n2 >= 2 else float("nan")
    except ValueError:
        a = float("nan")
    k = irr_alpha(df, cats) if ok(a) else None
    if k is None:
        expect(c, level, "krippendorff_alpha", names, n2,
               "krippendorff.alpha(rel, level_of_measurement='nominal')", value=a)
    else:
        assert abs(k["coefficient_value"] - a) < 1e-12, (k, a)
        expect(c, level, "krippendorff_alpha", names, n2,
               "krippendorff.alpha(rel, level_of_measurement='nominal'); se, ci: "
               f"{src_irr}.krippendorff()", value=a, se=k["se"], ci=k["confidence_interval"])
    if q < 2 or g is None:
        expect(c, level, "gwet_ac1", names, n2, "undefined", undefined=True)
    else:
        expect(c, level, "gwet_ac1", names, n2, f"{src_irr}.gwet()", value=g["coefficient_value"],
               se=g["se"], ci=g["confidence_interval"], p_o=g["pa"], p_e=g["pe"])

    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            pair = [names[i], names[j]]
            shared = [(r[i], r[j]) for r in rows if r[i] is not None and r[j] is not None]
            n = len(shared)
            several = c["raters"] >= 3  # with two raters these are the overall rows
            if not several:
                pass
            elif n >= 2:
                po = sum(a == b for a, b in shared) / n
                expect(c, level, "percent_agreement", pair, n, "mean(y1 == y2)", value=po,
                       p_o=po)
            else:
                expect(c, level, "percent_agreement", pair, n, "fewer than 2 units",
                       undefined=True)
            table = np.zeros((q, q))
            for a, b in shared:
                table[cats.index(a), cats.index(b)] += 1
            cohen_pair(c, level, pair, table, n, None,
                       [a for a, _ in shared], [b for _, b in shared])
            if not several:
                pass
            elif n >= 2 and q >= 2:
                pdf = pd.DataFrame(shared, columns=pair)
                pg = irr(pdf, cats, "gwet")
                expect(c, level, "gwet_ac1", pair, n, f"{src_irr}.gwet() on units both rated",
                       value=pg["coefficient_value"], se=pg["se"],
                       ci=pg["confidence_interval"], p_o=pg["pa"], p_e=pg["pe"])
            else:
                expect(c, level, "gwet_ac1", pair, n, "undefined", undefined=True)
    # Kappa per category.
    for k in cats:
        if c["raters"] >= 3:
            bdf = df.apply(lambda col: col.map(lambda v: v if pd.isna(v) else int(v == k)))
            ones = sum(v == k for r in rows for v in r if v is not None)
            total = sum(v is not None for r in rows for v in r)
            f = irr(bdf, [0, 1], "fleiss") if n2 >= 2 else None
            if f is None or ones in (0, total):
                expect(c, level, "fleiss_kappa", names, n2, "undefined (one category)", code=k,
                       undefined=True)
            else:
                expect(c, level, "fleiss_kappa", names, n2,
                       "irrCAC CAC(binary df, categories=[0, 1], digits=17).fleiss()", code=k,
                       value=f["coefficient_value"], se=f["se"], ci=f["confidence_interval"],
                       p_o=f["pa"], p_e=f["pe"])
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                pair = [names[i], names[j]]
                shared = [(r[i], r[j]) for r in rows if r[i] is not None and r[j] is not None]
                t = np.zeros((2, 2))
                for a, b in shared:
                    t[int(a == k), int(b == k)] += 1
                cohen_pair(c, level, pair, t, len(shared), k,
                           [int(a == k) for a, _ in shared], [int(b == k) for _, b in shared])


def cohen_pair(c, level, pair, table, n, code, y1, y2):
    if n < 2:
        expect(c, level, "cohen_kappa", pair, n, "fewer than 2 units", code=code,
               undefined=True)
        return
    res = cohens_kappa(table)
    if not math.isfinite(res.kappa):
        expect(c, level, "cohen_kappa", pair, n, "statsmodels cohens_kappa -> nan", code=code,
               undefined=True)
        return
    sk = cohen_kappa_score(y1, y2)
    assert abs(sk - res.kappa) < 1e-12, (sk, res.kappa)
    po = np.trace(table) / table.sum()
    rows_, cols_ = table.sum(1) / n, table.sum(0) / n
    pe = float((rows_ * cols_).sum())
    se = math.sqrt(max(res.var_kappa, 0.0))
    expect(c, level, "cohen_kappa", pair, n,
           "statsmodels cohens_kappa(table): kappa, sqrt(var_kappa), kappa_low, "
           "min(1, kappa_upp); = sklearn cohen_kappa_score(y1, y2)",
           code=code, value=res.kappa, se=se, ci=(res.kappa - 1.959963984540054 * se,
                                                  res.kappa + 1.959963984540054 * se),
           p_o=po, p_e=pe)
    if res.var_kappa >= 0:
        assert abs(res.kappa_low - (res.kappa - 1.959963984540054 * se)) < 1e-12
    return res


# --------------------------------------------------------------------------------------
# Many-code expectations
# --------------------------------------------------------------------------------------


def nltk_alpha(rows, dist):
    data = [(f"r{j}", f"u{i}", s) for i, r in enumerate(rows) for j, s in enumerate(r)
            if s is not None]
    return AnnotationTask(data=data, distance=dist).alpha()


def safe(d):
    return lambda a, b: 0.0 if not a and not b else d(a, b)


def many_code(c, level):
    cats, m = categories(c, level)
    names = rater_names(c["raters"])
    rows = []
    for u in c["units"]:
        rows.append([None if t is None else frozenset(m(x) for x in t) for t in parse_unit(c, u)])
    rows = [r for r in rows if any(v is not None for v in r)]
    paired = [r for r in rows if sum(v is not None for v in r) >= 2]
    n2 = len(paired)
    # Exact-set agreement: mean share of agreeing rating pairs.
    if n2 >= 2:
        shares = []
        for r in paired:
            vals = [v for v in r if v is not None]
            mm = len(vals)
            agree = sum(1 for i in range(mm) for j in range(mm) if i != j and vals[i] == vals[j])
            shares.append(agree / (mm * (mm - 1)))
        ex = float(np.mean(shares))
        expect(c, level, "exact_set_agreement", names, n2, "direct: mean share of equal pairs",
               value=ex, p_o=ex)
    else:
        expect(c, level, "exact_set_agreement", names, n2, "fewer than 2 units", undefined=True)
    # Krippendorff alpha with MASI / Jaccard.
    distinct = sorted({v for r in paired for v in r if v is not None}, key=lambda s: sorted(s))
    ids = {s: i for i, s in enumerate(distinct)}
    rel = np.array([[np.nan if v is None else ids[v] for v in r] for r in paired], float).T
    for stat, dist in [("krippendorff_alpha_masi", safe(masi_distance)),
                       ("krippendorff_alpha_jaccard", safe(jaccard_distance))]:
        if n2 < 2 or len(distinct) < 2:
            expect(c, level, stat, names, n2, "undefined", undefined=True)
            continue
        dmat = np.array([[dist(a, b) for b in distinct] for a in distinct])

        def metric(v1, v2, i1, i2, n_v, dtype=np.float64, dmat=dmat):
            return dmat[v1.astype(int), v2.astype(int)].astype(dtype)

        a = krippendorff.alpha(reliability_data=rel, level_of_measurement=metric)
        b = nltk_alpha(paired, dist)
        assert abs(a - b) < 1e-12, (a, b)
        # Gwet's SE: irrCAC with the distinct sets as categories and weights 1 - distance.
        df = pd.DataFrame(rel.T).astype("float")
        k = irr_alpha(df, list(range(len(distinct))), weights=1.0 - dmat)
        assert abs(k["coefficient_value"] - a) < 1e-12, (k, a)
        expect(c, level, stat, names, n2,
               f"krippendorff.alpha(rel, level_of_measurement=<{stat[19:]} over distinct sets>);"
               f" = nltk AnnotationTask(distance={stat[19:]}_distance).alpha(); se, ci: irrCAC "
               "CAC(df of set ids, categories=ids, weights=1 - distance matrix).krippendorff()",
               value=a, se=k["se"], ci=k["confidence_interval"])
    # Per code.
    total = sum(v is not None for r in rows for v in r)
    fleiss_vals = []
    pair_kappas = {}
    for k in cats:
        bin_rows = [[None if v is None else int(k in v) for v in r] for r in rows]
        present = sum(v for r in bin_rows for v in r if v is not None)
        expect(c, level, "prevalence", names, len(rows), "direct: share of ratings with the code",
               code=k, value=present / total if total else float("nan"))
        bdf = pd.DataFrame(bin_rows, columns=names).replace({None: np.nan})
        g = irr(bdf, [0, 1], "gwet") if n2 >= 2 else None
        if g is None:
            expect(c, level, "percent_agreement", names, n2, "undefined", code=k, undefined=True)
        else:
            expect(c, level, "percent_agreement", names, n2,
                   "irrCAC CAC(binary df, categories=[0, 1]).gwet()['est']['pa']", code=k,
                   value=g["pa"], p_o=g["pa"])
        if c["raters"] >= 3:
            f = irr(bdf, [0, 1], "fleiss") if n2 >= 2 else None
            if f is None or present in (0, total):
                expect(c, level, "fleiss_kappa", names, n2, "undefined (one category)", code=k,
                       undefined=True)
            else:
                fleiss_vals.append(f["coefficient_value"])
                expect(c, level, "fleiss_kappa", names, n2,
                       "irrCAC CAC(binary df, categories=[0, 1], digits=17).fleiss()", code=k,
                       value=f["coefficient_value"], se=f["se"], ci=f["confidence_interval"],
                       p_o=f["pa"], p_e=f["pe"])
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                pair = [names[i], names[j]]
                shared = [(r[i], r[j]) for r in bin_rows if r[i] is not None and r[j] is not None]
                n = len(shared)
                if c["raters"] < 3:
                    pass  # with two raters this is the overall row
                elif n >= 2:
                    po = sum(a == b for a, b in shared) / n
                    expect(c, level, "percent_agreement", pair, n, "mean(y1 == y2)", code=k,
                           value=po, p_o=po)
                else:
                    expect(c, level, "percent_agreement", pair, n, "fewer than 2 units", code=k,
                           undefined=True)
                t = np.zeros((2, 2))
                for a, b in shared:
                    t[a, b] += 1
                res = cohen_pair(c, level, pair, t, n, k, [a for a, _ in shared],
                                 [b for _, b in shared])
                if res is not None and math.isfinite(res.kappa):
                    pair_kappas.setdefault((i, j), []).append(res.kappa)
    if c["raters"] >= 3:
        if fleiss_vals:
            expect(c, level, "mean_fleiss_kappa", names, n2,
                   "numpy mean of the defined per-code irrCAC Fleiss kappas",
                   value=float(np.mean(fleiss_vals)))
        else:
            expect(c, level, "mean_fleiss_kappa", names, n2, "no defined kappa", undefined=True)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            pair = [names[i], names[j]]
            shared = [(r[i], r[j]) for r in rows if r[i] is not None and r[j] is not None]
            n = len(shared)
            if c["raters"] < 3:
                pass  # with two raters this is the overall row
            elif n >= 2:
                v = sum(a == b for a, b in shared) / n
                expect(c, level, "exact_set_agreement", pair, n, "mean(set1 == set2)", value=v,
                       p_o=v)
            else:
                expect(c, level, "exact_set_agreement", pair, n, "fewer than 2 units",
                       undefined=True)
            ks = pair_kappas.get((i, j), [])
            if ks:
                expect(c, level, "mean_cohen_kappa", pair, n,
                       "numpy mean of the defined per-code statsmodels kappas",
                       value=float(np.mean(ks)))
            else:
                expect(c, level, "mean_cohen_kappa", pair, n, "no defined kappa",
                       undefined=True)


# --------------------------------------------------------------------------------------
# Emit Rust
# --------------------------------------------------------------------------------------


def rs_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rs_opt(x):
    return "None" if x is None else f"Some({x!r})"


def main():
    for c in CASES:
        levels = ["leaf"] + (["collapsed"] if c["parents"] else [])
        for level in levels:
            (one_code if c["cardinality"] == "one" else many_code)(c, level)
    out = sys.stdout
    out.write("// @generated by tests/reference/compute_reference.py -- do not edit by hand.\n")
    out.write(f"// Libraries: {VERSIONS}, mpmath {mpmath.__version__}.\n")
    out.write("// Each expectation names the call that produced it in `source`.\n\n")
    out.write("const CASES: &[Case] = &[\n")
    for c in CASES:
        out.write("    Case {\n")
        out.write(f"        name: {rs_str(c['name'])},\n")
        out.write(f"        many: {'true' if c['cardinality'] == 'many' else 'false'},\n")
        out.write(f"        raters: {c['raters']},\n")
        out.write(f"        codes: &[{', '.join(rs_str(x) for x in c['codes'])}],\n")
        out.write("        parents: &[" + ", ".join(
            f"({rs_str(k)}, {rs_str(v)})" for k, v in sorted(c["parents"].items())) + "],\n")
        out.write("        units: &[\n")
        for u in c["units"]:
            out.write(f"            {rs_str(u)},\n")
        out.write("        ],\n    },\n")
    out.write("];\n\n")
    out.write("const EXPECT: &[Expect] = &[\n")
    for e in EXPECT:
        ci = "None" if e["ci"] is None else f"Some(({e['ci'][0]!r}, {e['ci'][1]!r}))"
        out.write(
            "    Expect { "
            f"case: {rs_str(e['case'])}, "
            f"level: {rs_str(e['level'])}, "
            f"statistic: {rs_str(e['statistic'])}, "
            f"code: {'None' if e['code'] is None else 'Some(' + rs_str(e['code']) + ')'}, "
            f"raters: &[{', '.join(rs_str(r) for r in e['raters'])}], "
            f"n_units: {e['n_units']}, "
            f"value: {rs_opt(e['value'])}, "
            f"se: {rs_opt(e['se'])}, "
            f"ci: {ci}, "
            f"p_o: {rs_opt(e['p_o'])}, "
            f"p_e: {rs_opt(e['p_e'])}, "
            f"source: {rs_str(e['source'])} }},\n"
        )
    out.write("];\n")
    print(f"{len(CASES)} cases, {len(EXPECT)} expectations", file=sys.stderr)


if __name__ == "__main__":
    main()
