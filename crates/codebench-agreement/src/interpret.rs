//! Verbal interpretation of agreement values.

use crate::model::Statistic;

/// Landis & Koch (1977) band of a κ-type value.
pub fn landis_koch(value: f64) -> &'static str {
    if value < 0.0 {
        "poor"
    } else if value <= 0.20 {
        "slight"
    } else if value <= 0.40 {
        "fair"
    } else if value <= 0.60 {
        "moderate"
    } else if value <= 0.80 {
        "substantial"
    } else {
        "almost perfect"
    }
}

/// Krippendorff's (2004) reading of α: rely on data with α ≥ 0.800, draw tentative
/// conclusions only for 0.667 ≤ α < 0.800, discard below 0.667.
pub fn krippendorff_band(value: f64) -> &'static str {
    if value >= 0.800 {
        "reliable (α ≥ 0.800)"
    } else if value >= 0.667 {
        "tentative (0.667 ≤ α < 0.800)"
    } else {
        "unreliable (α < 0.667)"
    }
}

/// Interpretation of `value` for `statistic`, or `None` for statistics that are not
/// chance-corrected (percent agreement, prevalence, exact-set agreement).
pub fn interpretation(statistic: Statistic, value: f64) -> Option<String> {
    match statistic {
        Statistic::CohenKappa
        | Statistic::FleissKappa
        | Statistic::GwetAc1
        | Statistic::MeanCohenKappa
        | Statistic::MeanFleissKappa => Some(landis_koch(value).to_string()),
        Statistic::KrippendorffAlpha
        | Statistic::KrippendorffAlphaMasi
        | Statistic::KrippendorffAlphaJaccard => Some(krippendorff_band(value).to_string()),
        Statistic::PercentAgreement | Statistic::Prevalence | Statistic::ExactSetAgreement => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_have_the_published_boundaries() {
        assert_eq!(landis_koch(-0.01), "poor");
        assert_eq!(landis_koch(0.0), "slight");
        assert_eq!(landis_koch(0.20), "slight");
        assert_eq!(landis_koch(0.21), "fair");
        assert_eq!(landis_koch(0.41), "moderate");
        assert_eq!(landis_koch(0.61), "substantial");
        assert_eq!(landis_koch(0.80), "substantial");
        assert_eq!(landis_koch(0.81), "almost perfect");
        assert_eq!(krippendorff_band(0.800), "reliable (α ≥ 0.800)");
        assert_eq!(krippendorff_band(0.667), "tentative (0.667 ≤ α < 0.800)");
        assert_eq!(krippendorff_band(0.6669), "unreliable (α < 0.667)");
        assert_eq!(interpretation(Statistic::Prevalence, 0.5), None);
    }
}
