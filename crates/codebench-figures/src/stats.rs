//! Box-plot statistics.

/// The numbers a box plot draws for one group.
///
/// Quartiles use linear interpolation between closest ranks, Hyndman & Fan type 7 (the default
/// of numpy's `percentile`, R's `quantile` and Excel's `PERCENTILE.INC`): for sorted values
/// `x[0..n]` and share `p`, `h = (n - 1) p` and the quantile is
/// `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`.
///
/// Whiskers follow Tukey: they reach the most extreme observations within 1.5 IQR of the box
/// (`q1 - 1.5 (q3 - q1)` and `q3 + 1.5 (q3 - q1)`); observations beyond are outliers.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    /// Number of observations.
    pub n: usize,
    /// Smallest observation.
    pub min: f64,
    /// First quartile (25th percentile).
    pub q1: f64,
    /// Median (50th percentile).
    pub median: f64,
    /// Third quartile (75th percentile).
    pub q3: f64,
    /// Largest observation.
    pub max: f64,
    /// Smallest observation at or above `q1 - 1.5 IQR`.
    pub lower_whisker: f64,
    /// Largest observation at or below `q3 + 1.5 IQR`.
    pub upper_whisker: f64,
    /// Observations outside the whiskers, ascending.
    pub outliers: Vec<f64>,
}

/// Computes a group's box-plot statistics; `None` when there are no values. NaNs are expected
/// to have been rejected before (they sort last here and would land among the outliers).
pub fn box_stats(values: &[f64]) -> Option<BoxStats> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q1 = quantile(&sorted, 0.25);
    let median = quantile(&sorted, 0.5);
    let q3 = quantile(&sorted, 0.75);
    let iqr = q3 - q1;
    let (low_fence, high_fence) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    let inside = || {
        sorted
            .iter()
            .copied()
            .filter(|v| *v >= low_fence && *v <= high_fence)
    };
    // The quartiles lie within the fences, so at least one observation does too.
    let lower_whisker = inside().next().unwrap_or(q1);
    let upper_whisker = inside().next_back().unwrap_or(q3);
    let outliers = sorted
        .iter()
        .copied()
        .filter(|v| *v < low_fence || *v > high_fence)
        .collect();
    Some(BoxStats {
        n: sorted.len(),
        min: sorted[0],
        q1,
        median,
        q3,
        max: sorted[sorted.len() - 1],
        lower_whisker,
        upper_whisker,
        outliers,
    })
}

/// Type-7 quantile of ascending, non-empty `sorted` at share `p` in 0..=1.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}
