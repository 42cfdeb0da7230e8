//! Box-plot statistics against numbers worked out by hand (type-7 quantiles, as numpy's
//! `percentile` default; Tukey whiskers at 1.5 IQR).

use codebench_figures::{box_stats, BoxStats};

#[test]
fn ten_values_with_one_high_outlier() {
    // sorted x = 1..9, 100; n = 10.
    // q1: h = 9 * 0.25 = 2.25 -> x[2] + 0.25 (x[3] - x[2]) = 3 + 0.25 = 3.25
    // median: h = 4.5 -> 5 + 0.5 = 5.5; q3: h = 6.75 -> 7 + 0.75 = 7.75
    // IQR = 4.5; fences 3.25 - 6.75 = -3.5 and 7.75 + 6.75 = 14.5 -> 100 is an outlier.
    let values = [9.0, 1.0, 100.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    assert_eq!(
        box_stats(&values),
        Some(BoxStats {
            n: 10,
            min: 1.0,
            q1: 3.25,
            median: 5.5,
            q3: 7.75,
            max: 100.0,
            lower_whisker: 1.0,
            upper_whisker: 9.0,
            outliers: vec![100.0],
        })
    );
}

#[test]
fn low_outlier_and_even_count() {
    // sorted -50, 10, 11, 12, 13, 14; n = 6.
    // q1: h = 1.25 -> 10.25; median: h = 2.5 -> 11.5; q3: h = 3.75 -> 12.75
    // IQR = 2.5; fences 6.5 and 16.5 -> -50 is an outlier, whiskers 10 and 14.
    let s = box_stats(&[14.0, 13.0, -50.0, 12.0, 11.0, 10.0]).unwrap();
    assert_eq!((s.q1, s.median, s.q3), (10.25, 11.5, 12.75));
    assert_eq!((s.lower_whisker, s.upper_whisker), (10.0, 14.0));
    assert_eq!(s.outliers, vec![-50.0]);
    assert_eq!((s.min, s.max, s.n), (-50.0, 14.0, 6));
}

#[test]
fn three_values_interpolate_between_ranks() {
    // sorted 1, 3, 7: q1 h = 0.5 -> 1 + 0.5 * 2 = 2; median 3; q3 h = 1.5 -> 3 + 0.5 * 4 = 5.
    let s = box_stats(&[7.0, 1.0, 3.0]).unwrap();
    assert_eq!((s.q1, s.median, s.q3), (2.0, 3.0, 5.0));
    assert_eq!((s.lower_whisker, s.upper_whisker), (1.0, 7.0));
    assert!(s.outliers.is_empty());
}

#[test]
fn one_value_and_ties() {
    let s = box_stats(&[4.0]).unwrap();
    assert_eq!(
        (
            s.min,
            s.q1,
            s.median,
            s.q3,
            s.max,
            s.lower_whisker,
            s.upper_whisker
        ),
        (4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0)
    );
    // IQR 0: anything off the common value is an outlier.
    let s = box_stats(&[2.0, 2.0, 2.0, 2.0, 2.0, 3.0]).unwrap();
    assert_eq!((s.q1, s.median, s.q3), (2.0, 2.0, 2.0));
    assert_eq!((s.lower_whisker, s.upper_whisker), (2.0, 2.0));
    assert_eq!(s.outliers, vec![3.0]);
}

#[test]
fn no_values_no_stats() {
    assert_eq!(box_stats(&[]), None);
}
