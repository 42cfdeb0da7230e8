//! Published worked examples, checked against the numbers as printed in their sources
//! (so to the printed number of digits). The full-precision comparison with the reference
//! libraries on the same data is in `tests/reference.rs`.

use std::collections::BTreeSet;

use codebench_agreement::{report, Cardinality, Options, Ratings, Report, Statistic};

/// One-code ratings; `None` = missing.
fn one_code(raters: usize, units: &[Vec<Option<&str>>]) -> Ratings {
    Ratings {
        dimension: "example".into(),
        cardinality: Cardinality::One,
        raters: (1..=raters).map(|i| format!("r{i}")).collect(),
        units: units
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| v.map(|c| BTreeSet::from([c.to_string()])))
                    .collect()
            })
            .collect(),
        codes: Vec::new(),
        parents: Default::default(),
    }
}

/// Two-rater units from a contingency table (rows: first rater).
fn from_table(table: &[&[usize]], labels: &[&'static str]) -> Vec<Vec<Option<&'static str>>> {
    let mut units = Vec::new();
    for (i, row) in table.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            units.extend((0..n).map(|_| vec![Some(labels[i]), Some(labels[j])]));
        }
    }
    units
}

fn overall(r: &Report, statistic: Statistic) -> &codebench_agreement::StatResult {
    r.results
        .iter()
        .find(|x| x.statistic == statistic && x.code.is_none() && x.raters.len() > 2)
        .or_else(|| {
            r.results
                .iter()
                .find(|x| x.statistic == statistic && x.code.is_none())
        })
        .unwrap_or_else(|| panic!("no {statistic:?} in report"))
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

#[test]
fn wikipedia_cohen_kappa_example() {
    // Wikipedia, "Cohen's kappa", simple example: 50 grant proposals, yes/yes 20,
    // yes/no 5, no/yes 10, no/no 15: p_o = 0.7, p_e = 0.5, κ = 0.4.
    let r = report(
        &one_code(2, &from_table(&[&[20, 5], &[10, 15]], &["yes", "no"])),
        &Options::default(),
    )
    .unwrap();
    let k = overall(&r, Statistic::CohenKappa);
    assert!((k.value.unwrap() - 0.4).abs() < 1e-12);
    assert!((k.p_o.unwrap() - 0.7).abs() < 1e-12);
    assert!((k.p_e.unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(k.interpretation.as_deref(), Some("fair"));
}

#[test]
fn sas_proc_freq_kappa_with_ase_and_ci() {
    // SAS PROC FREQ printout reproduced in statsmodels' tests (table10): Kappa 0.4842,
    // ASE 0.1380, 95% Lower Conf Limit 0.2137, Upper 0.7547.
    let units = from_table(&[&[0, 4, 1], &[0, 8, 0], &[0, 1, 5]], &["a", "b", "c"]);
    let r = report(&one_code(2, &units), &Options::default()).unwrap();
    let k = overall(&r, Statistic::CohenKappa);
    assert_eq!(round(k.value.unwrap(), 4), 0.4842);
    assert_eq!(round(k.se.unwrap(), 4), 0.1380);
    assert_eq!(round(k.ci_low.unwrap(), 4), 0.2137);
    assert_eq!(round(k.ci_high.unwrap(), 4), 0.7547);
}

/// Fleiss (1971), Table 1: 30 patients, 6 psychiatrists, 5 diagnoses (1 depression,
/// 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other).
const FLEISS_1971: [[u8; 6]; 30] = [
    [4, 4, 4, 4, 4, 4],
    [2, 2, 2, 5, 5, 5],
    [2, 3, 3, 3, 3, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3],
    [3, 3, 3, 3, 5, 5],
    [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4],
    [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4],
    [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3],
    [1, 4, 4, 4, 4, 4],
    [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5],
    [1, 1, 1, 1, 1, 2],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5],
    [2, 4, 4, 4, 4, 4],
    [2, 2, 4, 5, 5, 5],
    [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4],
    [1, 1, 1, 1, 5, 5],
    [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3],
    [5, 5, 5, 5, 5, 5],
];

#[test]
fn fleiss_1971_diagnoses() {
    const LABELS: [&str; 6] = ["", "1", "2", "3", "4", "5"];
    let units: Vec<Vec<Option<&str>>> = FLEISS_1971
        .iter()
        .map(|row| row.iter().map(|&v| Some(LABELS[v as usize])).collect())
        .collect();
    let r = report(&one_code(6, &units), &Options::default()).unwrap();
    // Fleiss (1971): κ = 0.430; R irr::kappam.fleiss(diagnoses): 0.4302445.
    let k = overall(&r, Statistic::FleissKappa);
    assert_eq!(round(k.value.unwrap(), 7), 0.4302445);
    assert_eq!(k.interpretation.as_deref(), Some("moderate"));
    // Fleiss (1971) per-category κ: 0.245, 0.245, 0.520, 0.471, 0.566.
    let per_category: Vec<f64> = ["1", "2", "3", "4", "5"]
        .iter()
        .map(|c| {
            let x = r
                .results
                .iter()
                .find(|x| x.statistic == Statistic::FleissKappa && x.code.as_deref() == Some(c))
                .unwrap();
            round(x.value.unwrap(), 3)
        })
        .collect();
    assert_eq!(per_category, vec![0.245, 0.245, 0.520, 0.471, 0.566]);
}

#[test]
fn wikipedia_fleiss_kappa_example() {
    // Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories,
    // P̄ = 0.378, P̄e = 0.213, κ = 0.210.
    const COUNTS: [[usize; 5]; 10] = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ];
    const LABELS: [&str; 5] = ["1", "2", "3", "4", "5"];
    let units: Vec<Vec<Option<&str>>> = COUNTS
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .flat_map(|(c, &n)| std::iter::repeat_n(Some(LABELS[c]), n))
                .collect()
        })
        .collect();
    let r = report(&one_code(14, &units), &Options::default()).unwrap();
    let k = overall(&r, Statistic::FleissKappa);
    assert_eq!(round(k.value.unwrap(), 3), 0.210);
    assert_eq!(round(k.p_o.unwrap(), 3), 0.378);
    assert_eq!(round(k.p_e.unwrap(), 3), 0.213);
}

/// Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C
/// (nominal data, 4 observers, 12 units, missing values).
fn krippendorff_2011() -> Ratings {
    const DATA: [[u8; 12]; 4] = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
        [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
    ];
    const LABELS: [&str; 6] = ["", "1", "2", "3", "4", "5"];
    let units: Vec<Vec<Option<&str>>> = (0..12)
        .map(|u| {
            (0..4)
                .map(|r| match DATA[r][u] {
                    0 => None,
                    v => Some(LABELS[v as usize]),
                })
                .collect()
        })
        .collect();
    one_code(4, &units)
}

#[test]
fn krippendorff_2011_nominal_alpha_with_missing_values() {
    let r = report(&krippendorff_2011(), &Options::default()).unwrap();
    let a = overall(&r, Statistic::KrippendorffAlpha);
    // Published: α = 0.743.
    assert_eq!(round(a.value.unwrap(), 3), 0.743);
    assert_eq!(
        a.n_units, 11,
        "unit 12 has a single value and is not pairable"
    );
    assert_eq!(
        a.interpretation.as_deref(),
        Some("tentative (0.667 ≤ α < 0.800)")
    );
}

#[test]
fn gwet_2014_four_raters_twelve_subjects() {
    // Gwet (2014) data (irrCAC `raw_4raters`, the same ratings as Krippendorff's example up
    // to which rater gave unit 12's single rating): AC1 0.77544 (SE 0.14295),
    // Fleiss' κ 0.76117 (SE 0.15302), p_a 0.81818, AC1 p_e 0.19032, Fleiss p_e 0.23872.
    let r = report(&krippendorff_2011(), &Options::default()).unwrap();
    let ac1 = overall(&r, Statistic::GwetAc1);
    assert_eq!(round(ac1.value.unwrap(), 5), 0.77544);
    assert_eq!(round(ac1.se.unwrap(), 5), 0.14295);
    assert_eq!(round(ac1.p_o.unwrap(), 5), 0.81818);
    assert_eq!(round(ac1.p_e.unwrap(), 5), 0.19032);
    // irrCAC prints the CI (0.46081, 1): t with 11 df, capped at 1.
    assert_eq!(round(ac1.ci_low.unwrap(), 5), 0.46081);
    assert_eq!(ac1.ci_high, Some(1.0));
    let f = overall(&r, Statistic::FleissKappa);
    assert_eq!(round(f.value.unwrap(), 5), 0.76117);
    assert_eq!(round(f.se.unwrap(), 5), 0.15302);
    assert_eq!(round(f.p_e.unwrap(), 5), 0.23872);
    assert_eq!(round(f.ci_low.unwrap(), 5), 0.42438);
}

#[test]
fn krippendorff_package_docstring_example() {
    // krippendorff 0.9.0 `alpha` docstring: 3 coders × 15 units, nominal α 0.691358.
    const DATA: [[u8; 15]; 3] = [
        [0, 0, 0, 0, 0, 3, 4, 1, 2, 1, 1, 3, 3, 0, 3],
        [1, 0, 2, 1, 3, 3, 4, 3, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 2, 1, 3, 4, 4, 0, 2, 1, 1, 3, 3, 0, 4],
    ];
    const LABELS: [&str; 5] = ["", "1", "2", "3", "4"];
    let units: Vec<Vec<Option<&str>>> = (0..15)
        .map(|u| {
            (0..3)
                .map(|r| match DATA[r][u] {
                    0 => None,
                    v => Some(LABELS[v as usize]),
                })
                .collect()
        })
        .collect();
    let r = report(&one_code(3, &units), &Options::default()).unwrap();
    assert_eq!(
        round(overall(&r, Statistic::KrippendorffAlpha).value.unwrap(), 6),
        0.691358
    );
}
