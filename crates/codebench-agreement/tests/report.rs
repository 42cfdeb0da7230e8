//! Behaviour of `report` beyond the numbers: input validation, undefined results,
//! warnings, rater subsets, levels, confusion matrices and the output formats.

use std::collections::{BTreeMap, BTreeSet};

use codebench_agreement::{
    jaccard_distance, masi_distance, report, to_csv, to_json, to_table, AgreementError,
    Cardinality, Level, Options, Ratings, Report, Statistic, WarningKind, CSV_COLUMNS, MAX_CODES,
    MAX_RATERS,
};

fn set(codes: &str) -> BTreeSet<String> {
    codes.chars().map(|c| c.to_string()).collect()
}

/// Units as strings: one-code: one char per rater; many-code: space-separated tokens.
/// `.` = missing, `-` = empty set.
fn ratings(cardinality: Cardinality, raters: usize, units: &[&str]) -> Ratings {
    Ratings {
        dimension: "dim".into(),
        cardinality,
        raters: (1..=raters).map(|i| format!("r{i}")).collect(),
        units: units
            .iter()
            .map(|u| {
                let tokens: Vec<String> = match cardinality {
                    Cardinality::One => u.chars().map(String::from).collect(),
                    Cardinality::Many => u.split(' ').map(String::from).collect(),
                };
                tokens
                    .iter()
                    .map(|t| match t.as_str() {
                        "." => None,
                        "-" => Some(BTreeSet::new()),
                        t => Some(set(t)),
                    })
                    .collect()
            })
            .collect(),
        codes: Vec::new(),
        parents: BTreeMap::new(),
    }
}

fn find<'a>(
    r: &'a Report,
    level: Level,
    statistic: Statistic,
    code: Option<&str>,
    raters: &[&str],
) -> &'a codebench_agreement::StatResult {
    r.results
        .iter()
        .find(|x| {
            x.level == level
                && x.statistic == statistic
                && x.code.as_deref() == code
                && x.raters == raters
        })
        .unwrap_or_else(|| panic!("{level:?} {statistic:?} {code:?} {raters:?} not in report"))
}

#[test]
fn malformed_input_is_an_error_naming_the_place() {
    let mut r = ratings(Cardinality::One, 2, &["aa", "ab"]);
    r.units[1].pop();
    let e = report(&r, &Options::default()).unwrap_err();
    assert!(matches!(
        e,
        AgreementError::RowLength {
            unit: 1,
            expected: 2,
            found: 1,
            ..
        }
    ));
    assert!(e.to_string().contains("unit 1"));

    let mut r = ratings(Cardinality::One, 2, &["aa", "ab"]);
    r.units[0][1] = Some(set("ab"));
    let e = report(&r, &Options::default()).unwrap_err();
    assert!(
        matches!(&e, AgreementError::NotSingleCode { unit: 0, rater, found: 2, .. } if rater == "r2"),
        "{e}"
    );
    r.units[0][1] = Some(BTreeSet::new());
    assert!(matches!(
        report(&r, &Options::default()),
        Err(AgreementError::NotSingleCode { found: 0, .. })
    ));

    let mut r = ratings(Cardinality::One, 2, &["aa"]);
    r.raters[1] = "r1".into();
    assert!(matches!(
        report(&r, &Options::default()),
        Err(AgreementError::DuplicateRater { .. })
    ));

    let r = ratings(Cardinality::One, 3, &["aab"]);
    let unknown = Options {
        raters: Some(vec!["r1".into(), "zoe".into()]),
        ..Options::default()
    };
    let e = report(&r, &unknown).unwrap_err();
    assert!(e.to_string().contains("zoe"));
    let one = Options {
        raters: Some(vec!["r1".into()]),
        ..Options::default()
    };
    assert!(matches!(
        report(&r, &one),
        Err(AgreementError::TooFewRaters { found: 1, .. })
    ));
    let twice = Options {
        raters: Some(vec!["r1".into(), "r1".into()]),
        ..Options::default()
    };
    assert!(matches!(
        report(&r, &twice),
        Err(AgreementError::DuplicateRater { .. })
    ));

    let mut r = ratings(Cardinality::One, 2, &["xy"]);
    r.parents.insert("x".into(), "y".into());
    r.parents.insert("y".into(), "x".into());
    assert!(matches!(
        report(&r, &Options::default()),
        Err(AgreementError::ParentCycle { .. })
    ));

    let many = ratings(Cardinality::One, MAX_RATERS + 1, &[]);
    assert!(matches!(
        report(&many, &Options::default()),
        Err(AgreementError::TooManyRaters { .. })
    ));
    let mut wide = ratings(Cardinality::Many, 2, &["a a"]);
    wide.codes = (0..=MAX_CODES).map(|i| format!("c{i}")).collect();
    assert!(matches!(
        report(&wide, &Options::default()),
        Err(AgreementError::TooManyCodes { .. })
    ));

    let r = ratings(Cardinality::One, 2, &["aa"]);
    for bad in [0.0, 1.0, f64::NAN] {
        let o = Options {
            confidence: bad,
            ..Options::default()
        };
        assert!(matches!(
            report(&r, &o),
            Err(AgreementError::InvalidParameter {
                field: "confidence",
                ..
            })
        ));
    }
}

#[test]
fn undefined_results_say_why_and_are_never_numbers() {
    // Every rating the same category.
    let r = report(
        &ratings(Cardinality::One, 3, &["aaa", "aaa", "aaa"]),
        &Options::default(),
    )
    .unwrap();
    for stat in [Statistic::FleissKappa, Statistic::KrippendorffAlpha] {
        let x = find(&r, Level::Leaf, stat, None, &["r1", "r2", "r3"]);
        assert_eq!(x.value, None);
        assert_eq!((x.se, x.ci_low, x.ci_high), (None, None, None));
        assert!(
            x.undefined_reason.as_ref().unwrap().contains("same"),
            "{x:?}"
        );
    }
    let k = find(&r, Level::Leaf, Statistic::CohenKappa, None, &["r1", "r2"]);
    assert!(k
        .undefined_reason
        .as_ref()
        .unwrap()
        .contains("chance agreement is 1"));
    // Percent agreement is still perfectly defined.
    let pa = find(
        &r,
        Level::Leaf,
        Statistic::PercentAgreement,
        None,
        &["r1", "r2", "r3"],
    );
    assert_eq!(pa.value, Some(1.0));

    // Fewer than two units.
    let r = report(&ratings(Cardinality::One, 2, &["ab"]), &Options::default()).unwrap();
    assert!(r.results.iter().all(|x| x.value.is_none()));
    assert!(r.results.iter().all(|x| x
        .undefined_reason
        .as_deref()
        .unwrap()
        .starts_with("fewer than two units")));

    // JSON carries the reason and null values, never NaN.
    let json = to_json(&r);
    assert!(json.contains("\"undefined_reason\": \"fewer than two units"));
    assert!(!json.contains("NaN"));
}

#[test]
fn every_defined_number_is_finite_on_messy_data() {
    let units = [
        "ab a . -",
        "- - - -",
        "a a b b",
        ". . . a",
        "abc abc ab -",
        "c . c c",
        ". . . .",
        "b a - c",
    ];
    let r = report(&ratings(Cardinality::Many, 4, &units), &Options::default()).unwrap();
    assert!(!r.results.is_empty());
    for x in &r.results {
        for v in [x.value, x.se, x.ci_low, x.ci_high, x.p_o, x.p_e]
            .into_iter()
            .flatten()
        {
            assert!(v.is_finite(), "{x:?}");
        }
        assert_eq!(x.value.is_none(), x.undefined_reason.is_some(), "{x:?}");
        if let Some(hi) = x.ci_high {
            assert!(hi <= 1.0);
        }
    }
}

#[test]
fn warnings_flag_prevalence_few_units_and_rater_bias() {
    // 40 units, both raters say "a" on 36 and disagree on 4: p_o = 0.9, κ < 0.
    let mut units = vec!["aa"; 36];
    units.extend(["ab", "ba", "ab", "ba"]);
    let r = report(&ratings(Cardinality::One, 2, &units), &Options::default()).unwrap();
    let k = find(&r, Level::Leaf, Statistic::CohenKappa, None, &["r1", "r2"]);
    assert!(k.p_o.unwrap() >= 0.8 && k.value.unwrap() < 0.4);
    assert!(r
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::Prevalence && w.code.is_none()));
    assert!(!r.warnings.iter().any(|w| w.kind == WarningKind::FewUnits));
    // The paradox-resistant AC1 stays high.
    assert!(
        find(&r, Level::Leaf, Statistic::GwetAc1, None, &["r1", "r2"])
            .value
            .unwrap()
            > 0.85
    );

    // 12 units; r1 uses "b" 10 times, r2 twice.
    let units = [
        "bb", "bb", "ba", "ba", "ba", "ba", "ba", "ba", "ba", "ba", "aa", "aa",
    ];
    let r = report(&ratings(Cardinality::One, 2, &units), &Options::default()).unwrap();
    let few: Vec<_> = r
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::FewUnits)
        .collect();
    assert_eq!(few.len(), 1);
    assert!(few[0].message.contains("only 12 units"));
    let bias = r
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::RaterBias && w.code.as_deref() == Some("b"))
        .expect("bias warning on b");
    assert!(
        bias.message.contains("on 10 and r2 on 2"),
        "{}",
        bias.message
    );
    assert_eq!(bias.raters, ["r1", "r2"]);
}

#[test]
fn a_rater_subset_limits_every_statistic_to_those_raters() {
    let units = ["aab", "bba", "aaa", "bbb", "abb", "baa"];
    let r = ratings(Cardinality::One, 3, &units);
    let o = Options {
        raters: Some(vec!["r3".into(), "r1".into()]),
        ..Options::default()
    };
    let rep = report(&r, &o).unwrap();
    assert!(rep.results.iter().all(|x| x.raters == ["r3", "r1"]));
    assert!(!rep
        .results
        .iter()
        .any(|x| x.statistic == Statistic::FleissKappa));
    // Rows of the confusion matrix follow the requested order: r3 first.
    let c = &rep.confusion[0];
    assert_eq!(c.raters, ["r3", "r1"]);
    // r3 / r1: (b,a) (a,b) (a,a) (b,b) (b,a) (a,b)
    assert_eq!(c.categories, ["a", "b"]);
    assert_eq!(c.counts, vec![vec![1, 2], vec![2, 1]]);
    assert_eq!(c.n_units, 6);
}

#[test]
fn collapsed_level_merges_sub_codes_into_their_parent() {
    // x and y are sub-codes of p: the raters disagree on the sub-code only.
    let mut r = ratings(
        Cardinality::Many,
        2,
        &["x y", "y x", "ax ay", "b b", "a a", "bx by", "- -", "a ab"],
    );
    r.codes = ["a", "b", "p", "x", "y"].map(String::from).to_vec();
    r.parents = BTreeMap::from([("x".into(), "p".into()), ("y".into(), "p".into())]);
    let rep = report(&r, &Options::default()).unwrap();
    let leaf = find(
        &rep,
        Level::Leaf,
        Statistic::ExactSetAgreement,
        None,
        &["r1", "r2"],
    );
    let coll = find(
        &rep,
        Level::Collapsed,
        Statistic::ExactSetAgreement,
        None,
        &["r1", "r2"],
    );
    assert_eq!(leaf.value, Some(3.0 / 8.0));
    assert_eq!(coll.value, Some(7.0 / 8.0));
    // Collapsed codes: a, b, p (no x / y).
    let codes: BTreeSet<&str> = rep
        .results
        .iter()
        .filter(|x| x.level == Level::Collapsed)
        .filter_map(|x| x.code.as_deref())
        .collect();
    assert_eq!(codes, BTreeSet::from(["a", "b", "p"]));
    let p = find(
        &rep,
        Level::Collapsed,
        Statistic::CohenKappa,
        Some("p"),
        &["r1", "r2"],
    );
    assert_eq!(p.value, Some(1.0));
    // Leaf-only when asked, and no collapsed view without parents.
    let leaf_only = Options {
        levels: vec![Level::Leaf],
        ..Options::default()
    };
    assert!(report(&r, &leaf_only)
        .unwrap()
        .results
        .iter()
        .all(|x| x.level == Level::Leaf));
    r.parents.clear();
    assert!(report(&r, &Options::default())
        .unwrap()
        .results
        .iter()
        .all(|x| x.level == Level::Leaf));
}

#[test]
fn codebook_codes_nobody_used_are_reported_as_undefined() {
    let mut r = ratings(Cardinality::Many, 2, &["a a", "ab b", "- a"]);
    r.codes = ["a", "b", "zz"].map(String::from).to_vec();
    let rep = report(&r, &Options::default()).unwrap();
    let z = find(
        &rep,
        Level::Leaf,
        Statistic::CohenKappa,
        Some("zz"),
        &["r1", "r2"],
    );
    assert_eq!(z.value, None);
    assert_eq!(
        z.undefined_reason.as_deref(),
        Some("no rating includes the code, so chance agreement is 1")
    );
    let prev = find(
        &rep,
        Level::Leaf,
        Statistic::Prevalence,
        Some("zz"),
        &["r1", "r2"],
    );
    assert_eq!(prev.value, Some(0.0));
}

/// α over code sets by the textbook definition (every pair of values).
fn naive_alpha(
    units: &[Vec<BTreeSet<String>>],
    d: fn(&BTreeSet<String>, &BTreeSet<String>) -> f64,
) -> f64 {
    let mut values = Vec::new();
    let mut observed = 0.0;
    for vals in units.iter().filter(|v| v.len() >= 2) {
        let mut s = 0.0;
        for (i, a) in vals.iter().enumerate() {
            for (j, b) in vals.iter().enumerate() {
                if i != j {
                    s += d(a, b);
                }
            }
        }
        observed += s / (vals.len() - 1) as f64;
        values.extend(vals.iter());
    }
    let mut expected = 0.0;
    for a in &values {
        for b in &values {
            expected += d(a, b);
        }
    }
    1.0 - (values.len() as f64 - 1.0) * observed / expected
}

#[test]
fn set_alpha_handles_codebooks_wider_than_64_and_huge_sets() {
    // 130 codes (three bitset words); some ratings carry 70+ codes, which takes the
    // direct pairwise path for expected disagreement.
    let codes: Vec<String> = (0..130).map(|i| format!("c{i:03}")).collect();
    let mut rng = fastrand::Rng::with_seed(11);
    let mut units: Vec<Vec<Option<BTreeSet<String>>>> = Vec::new();
    for u in 0..60 {
        let size = if u % 10 == 0 {
            70 + rng.usize(..40)
        } else {
            1 + rng.usize(..4)
        };
        let base: BTreeSet<String> = (0..size).map(|_| codes[rng.usize(..130)].clone()).collect();
        let row = (0..3)
            .map(|_| {
                let mut s = base.clone();
                if rng.f64() < 0.4 {
                    s.insert(codes[rng.usize(..130)].clone());
                }
                if rng.f64() < 0.2 {
                    let first = s.iter().next().cloned();
                    if let Some(f) = first {
                        s.remove(&f);
                    }
                }
                (rng.f64() > 0.1).then_some(s)
            })
            .collect();
        units.push(row);
    }
    let r = Ratings {
        dimension: "wide".into(),
        cardinality: Cardinality::Many,
        raters: vec!["a".into(), "b".into(), "c".into()],
        units: units.clone(),
        codes: codes.clone(),
        parents: BTreeMap::new(),
    };
    let rep = report(&r, &Options::default()).unwrap();
    let present: Vec<Vec<BTreeSet<String>>> = units
        .iter()
        .map(|row| row.iter().flatten().cloned().collect())
        .collect();
    let all = ["a", "b", "c"];
    let masi = find(
        &rep,
        Level::Leaf,
        Statistic::KrippendorffAlphaMasi,
        None,
        &all,
    );
    let jacc = find(
        &rep,
        Level::Leaf,
        Statistic::KrippendorffAlphaJaccard,
        None,
        &all,
    );
    assert!((masi.value.unwrap() - naive_alpha(&present, masi_distance)).abs() < 1e-12);
    assert!((jacc.value.unwrap() - naive_alpha(&present, jaccard_distance)).abs() < 1e-12);

    // Small sets only: the subset-sum path; same answer as the naive definition.
    let small: Vec<Vec<Option<BTreeSet<String>>>> = units
        .iter()
        .map(|row| {
            row.iter()
                .map(|s| s.as_ref().map(|s| s.iter().take(3).cloned().collect()))
                .collect()
        })
        .collect();
    let r = Ratings {
        units: small.clone(),
        codes: codes[..40].to_vec(),
        ..r
    };
    let rep = report(&r, &Options::default()).unwrap();
    let present: Vec<Vec<BTreeSet<String>>> = small
        .iter()
        .map(|row| row.iter().flatten().cloned().collect())
        .collect();
    let masi = find(
        &rep,
        Level::Leaf,
        Statistic::KrippendorffAlphaMasi,
        None,
        &all,
    );
    assert!((masi.value.unwrap() - naive_alpha(&present, masi_distance)).abs() < 1e-12);
}

fn sample_report() -> Report {
    let mut r = ratings(
        Cardinality::One,
        3,
        &["aab", "bba", "aaa", "bbb", "abb", "baa", "a.a", "ccc"],
    );
    r.dimension = "kind, \"v2\"".into();
    report(&r, &Options::default()).unwrap()
}

/// Minimal RFC 4180 reader for the round trip.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CRLF line ends");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "last line ends with CRLF"
    );
    rows
}

#[test]
fn csv_is_rfc4180_with_stable_columns() {
    let rep = sample_report();
    let csv = to_csv(&rep);
    let rows = parse_csv(&csv);
    assert_eq!(rows[0], CSV_COLUMNS);
    assert_eq!(rows.len(), rep.results.len() + 1);
    for (row, res) in rows[1..].iter().zip(&rep.results) {
        assert_eq!(row.len(), CSV_COLUMNS.len());
        assert_eq!(row[0], "kind, \"v2\"", "quoted field with comma and quotes");
        assert_eq!(row[3], res.statistic.as_str());
        assert_eq!(row[2], res.code.clone().unwrap_or_else(|| "(all)".into()));
        match res.value {
            Some(v) => assert_eq!(row[5].parse::<f64>().unwrap(), v, "full precision"),
            None => assert_eq!(row[5], ""),
        }
        assert_eq!(row[6].is_empty(), res.se.is_none());
        assert_eq!(row[4], res.raters.join(";"));
    }
}

fn same_json(a: &serde_json::Value, b: &serde_json::Value) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-15 * x.abs().max(1.0), "{x} vs {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len());
            x.iter().zip(y).for_each(|(x, y)| same_json(x, y));
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
            x.values()
                .zip(y.values())
                .for_each(|(x, y)| same_json(x, y));
        }
        _ => assert_eq!(a, b),
    }
}

#[test]
fn json_round_trips_and_table_is_aligned() {
    let rep = sample_report();
    let back: Report = serde_json::from_str(&to_json(&rep)).unwrap();
    // serde_json parses floats to within 1 ulp (exact only with its `float_roundtrip`
    // feature), so compare the JSON trees with a relative tolerance.
    same_json(
        &serde_json::to_value(&back).unwrap(),
        &serde_json::to_value(&rep).unwrap(),
    );

    let table = to_table(&rep);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("dimension"));
    assert!(lines[1].starts_with("---"));
    // All result lines are as wide as the header's columns allow (aligned).
    let statistic_col = lines[0].find("statistic").unwrap();
    for line in &lines[2..2 + rep.results.len()] {
        let s = &line[statistic_col..];
        assert!(
            Statistic::ALL.iter().any(|st| s.starts_with(st.as_str())),
            "misaligned: {line}"
        );
    }
    assert!(table.contains("confusion kind, \"v2\" (leaf): rows r1, columns r2"));
    assert!(table.contains("almost perfect") || table.contains("substantial"));
}

#[test]
fn options_deserialize_with_defaults() {
    let o: Options = serde_json::from_str("{}").unwrap();
    assert_eq!(o, Options::default());
    let o: Options =
        serde_json::from_str(r#"{"raters": ["a", "b"], "levels": ["collapsed"]}"#).unwrap();
    assert_eq!(o.levels, vec![Level::Collapsed]);
    assert_eq!(o.confidence, 0.95);
}
