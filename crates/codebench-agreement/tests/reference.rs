//! Every statistic of every reference case equals the reference libraries' value to 1e-9.
//!
//! The cases (published examples, seeded random data, edge cases) and the expected numbers
//! are in `tests/reference/expected.rs`, written once by
//! `tests/reference/compute_reference.py` with statsmodels, scikit-learn, irrCAC,
//! krippendorff and NLTK (versions and the exact call are recorded there, per number).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use codebench_agreement::{report, Cardinality, Options, Ratings, StatResult};

/// A reference data set. One-code units: one char per rater, `.` = missing. Many-code
/// units: one space-separated token per rater, `.` = missing, `-` = empty set, else one
/// char per code.
struct Case {
    name: &'static str,
    many: bool,
    raters: usize,
    codes: &'static [&'static str],
    parents: &'static [(&'static str, &'static str)],
    units: &'static [&'static str],
}

/// One expected result; `value: None` means the statistic must be undefined.
struct Expect {
    case: &'static str,
    level: &'static str,
    statistic: &'static str,
    code: Option<&'static str>,
    raters: &'static [&'static str],
    n_units: usize,
    value: Option<f64>,
    se: Option<f64>,
    ci: Option<(f64, f64)>,
    p_o: Option<f64>,
    p_e: Option<f64>,
    source: &'static str,
}

include!("reference/expected.rs");

const TOLERANCE: f64 = 1e-9;

fn ratings(case: &Case) -> Ratings {
    let units = case
        .units
        .iter()
        .map(|u| {
            let tokens: Vec<String> = if case.many {
                u.split(' ').map(str::to_string).collect()
            } else {
                u.chars().map(|c| c.to_string()).collect()
            };
            assert_eq!(tokens.len(), case.raters, "case {} unit {u:?}", case.name);
            tokens
                .into_iter()
                .map(|t| match t.as_str() {
                    "." => None,
                    "-" => Some(BTreeSet::new()),
                    _ => Some(t.chars().map(|c| c.to_string()).collect()),
                })
                .collect()
        })
        .collect();
    Ratings {
        dimension: case.name.to_string(),
        cardinality: if case.many {
            Cardinality::Many
        } else {
            Cardinality::One
        },
        raters: (1..=case.raters).map(|i| format!("r{i}")).collect(),
        units,
        codes: case.codes.iter().map(|c| c.to_string()).collect(),
        parents: case
            .parents
            .iter()
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn key(level: &str, statistic: &str, code: Option<&str>, raters: &[String]) -> String {
    format!(
        "{level}|{statistic}|{}|{}",
        code.unwrap_or("*"),
        raters.join(",")
    )
}

fn close(what: &str, want: Option<f64>, got: Option<f64>, errors: &mut Vec<String>) {
    if let Some(w) = want {
        match got {
            Some(g) if (g - w).abs() <= TOLERANCE => {}
            _ => errors.push(format!("{what}: expected {w:?}, got {got:?}")),
        }
    }
}

#[test]
fn every_statistic_matches_the_reference_libraries() {
    let mut by_case: HashMap<&str, Vec<&Expect>> = HashMap::new();
    for e in EXPECT {
        by_case.entry(e.case).or_default().push(e);
    }
    assert!(CASES.len() >= 20, "at least 20 reference cases");
    let mut errors = Vec::new();
    let mut checked = 0;
    for case in CASES {
        let r = report(&ratings(case), &Options::default())
            .unwrap_or_else(|e| panic!("case {}: {e}", case.name));
        let mut results: HashMap<String, &StatResult> = HashMap::new();
        for res in &r.results {
            let k = key(
                res.level.as_str(),
                res.statistic.as_str(),
                res.code.as_deref(),
                &res.raters,
            );
            assert!(
                results.insert(k.clone(), res).is_none(),
                "case {}: duplicate result {k}",
                case.name
            );
        }
        let expected = by_case.get(case.name).map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(
            expected.len(),
            r.results.len(),
            "case {}: the report and the reference have different sets of statistics",
            case.name
        );
        for e in expected {
            let raters: Vec<String> = e.raters.iter().map(|s| s.to_string()).collect();
            let k = key(e.level, e.statistic, e.code, &raters);
            let ctx = format!("{} {k} [{}]", e.case, e.source);
            let Some(got) = results.get(&k) else {
                errors.push(format!("{ctx}: missing from the report"));
                continue;
            };
            checked += 1;
            if got.n_units != e.n_units {
                errors.push(format!(
                    "{ctx}: n_units expected {}, got {}",
                    e.n_units, got.n_units
                ));
            }
            match e.value {
                None => {
                    if got.value.is_some() || got.undefined_reason.is_none() {
                        errors.push(format!(
                            "{ctx}: expected undefined with a reason, got {:?} / {:?}",
                            got.value, got.undefined_reason
                        ));
                    }
                }
                Some(_) => {
                    close(&format!("{ctx} value"), e.value, got.value, &mut errors);
                    close(&format!("{ctx} se"), e.se, got.se, &mut errors);
                    close(
                        &format!("{ctx} ci_low"),
                        e.ci.map(|c| c.0),
                        got.ci_low,
                        &mut errors,
                    );
                    close(
                        &format!("{ctx} ci_high"),
                        e.ci.map(|c| c.1),
                        got.ci_high,
                        &mut errors,
                    );
                    close(&format!("{ctx} p_o"), e.p_o, got.p_o, &mut errors);
                    close(&format!("{ctx} p_e"), e.p_e, got.p_e, &mut errors);
                    if got.undefined_reason.is_some() {
                        errors.push(format!("{ctx}: defined value with an undefined_reason"));
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        let shown: Vec<&String> = errors.iter().take(40).collect();
        panic!(
            "{} mismatches (of {checked} results checked), first ones:\n{}",
            errors.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(checked > 1000, "checked {checked} results");
}
