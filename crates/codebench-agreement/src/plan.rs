//! Planning a round's size from the precision wanted for Cohen's κ.
//!
//! Model: two raters with common category shares `p` and true agreement κ produce the
//! cell probabilities p_ij = (1 − κ)·p_i·p_j + κ·p_i·[i = j] (their κ is exactly κ and both
//! margins are `p`). The large-sample variance of κ̂ over n units is v₁ / n, with v₁ the
//! Fleiss, Cohen & Everitt (1969) variance for one unit evaluated at these cells:
//!
//! v₁ = [Σ_i p_ii (1 − 2p_i(1 − κ))² + (1 − κ)² Σ_{i≠j} p_ij (p_i + p_j)² − (κ − p_e(1 − κ))²] / (1 − p_e)²
//!
//! with p_e = Σ p_i². For two categories with prevalence π this reduces to the closed form
//! v₁ = (1 − κ)[(1 − κ)(1 − 2κ) + κ(2 − κ) / (2π(1 − π))] (Bloch & Kraemer 1989).
//! A Wald interval κ̂ ± z·√(v₁/n) has width W when n = z²·v₁ / (W/2)², rounded up.

use crate::error::AgreementError;
use crate::quantile::normal_quantile;

fn invalid(field: &'static str, value: f64, expected: &'static str) -> AgreementError {
    AgreementError::InvalidParameter {
        field,
        value,
        expected,
    }
}

/// Variance of Cohen's κ̂ for a single unit (multiply by 1/n for n units) when two raters
/// share the category proportions `marginals` and agree with true κ `expected_kappa`.
pub fn kappa_unit_variance(expected_kappa: f64, marginals: &[f64]) -> Result<f64, AgreementError> {
    if marginals.len() < 2 {
        return Err(invalid(
            "marginals",
            marginals.len() as f64,
            "at least two category proportions",
        ));
    }
    for &p in marginals {
        if !(p > 0.0 && p < 1.0) {
            return Err(invalid(
                "marginals",
                p,
                "each proportion strictly between 0 and 1",
            ));
        }
    }
    let sum: f64 = marginals.iter().sum();
    if (sum - 1.0).abs() > 1e-9 {
        return Err(invalid("marginals", sum, "proportions summing to 1"));
    }
    let k = expected_kappa;
    let lowest = marginals
        .iter()
        .map(|&p| -p / (1.0 - p))
        .fold(f64::NEG_INFINITY, f64::max);
    if !(k.is_finite() && k <= 1.0 && k >= lowest) {
        return Err(invalid(
            "expected_kappa",
            k,
            "at most 1 and at least the smallest κ these marginals allow (−min p/(1−p))",
        ));
    }
    let p_e: f64 = marginals.iter().map(|p| p * p).sum();
    let mut term_a = 0.0;
    let mut term_b = 0.0;
    for (i, &pi) in marginals.iter().enumerate() {
        for (j, &pj) in marginals.iter().enumerate() {
            if i == j {
                let cell = (1.0 - k) * pi * pi + k * pi;
                let t = 1.0 - 2.0 * pi * (1.0 - k);
                term_a += cell * t * t;
            } else {
                let cell = (1.0 - k) * pi * pj;
                term_b += cell * (pi + pj) * (pi + pj);
            }
        }
    }
    term_b *= (1.0 - k) * (1.0 - k);
    let term_c = (k - p_e * (1.0 - k)).powi(2);
    Ok(((term_a + term_b - term_c) / (1.0 - p_e).powi(2)).max(0.0))
}

/// Number of units a round needs so that the `confidence` Wald interval of Cohen's κ is
/// about `target_ci_width` wide (upper minus lower limit), when the raters are expected to
/// reach κ = `expected_kappa` and to use the categories in the proportions `marginals`
/// (for one code of a many-code dimension: `[prevalence, 1 − prevalence]`).
///
/// See the module documentation for the formula. Never less than 2.
pub fn plan_round_size(
    expected_kappa: f64,
    marginals: &[f64],
    target_ci_width: f64,
    confidence: f64,
) -> Result<usize, AgreementError> {
    if !(target_ci_width > 0.0 && target_ci_width.is_finite()) {
        return Err(invalid(
            "target_ci_width",
            target_ci_width,
            "a positive width",
        ));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(invalid(
            "confidence",
            confidence,
            "a probability strictly between 0 and 1",
        ));
    }
    let v1 = kappa_unit_variance(expected_kappa, marginals)?;
    let z = normal_quantile(0.5 + confidence / 2.0);
    let half = target_ci_width / 2.0;
    let n = (z * z * v1 / (half * half)).ceil();
    Ok((n as usize).max(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bloch & Kraemer (1989) closed form for two categories.
    fn closed_form(k: f64, pi: f64) -> f64 {
        (1.0 - k) * ((1.0 - k) * (1.0 - 2.0 * k) + k * (2.0 - k) / (2.0 * pi * (1.0 - pi)))
    }

    #[test]
    fn binary_variance_matches_closed_form() {
        for &k in &[0.0, 0.2, 0.4, 0.6, 0.8, 0.95] {
            for &pi in &[0.05, 0.1, 0.3, 0.5, 0.7] {
                let got = kappa_unit_variance(k, &[pi, 1.0 - pi]).unwrap();
                let want = closed_form(k, pi);
                assert!((got - want).abs() < 1e-12, "κ={k} π={pi}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn worked_example() {
        // κ = 0.6, π = 0.5: v₁ = 0.4·[0.4·(−0.2) + 0.6·1.4 / 0.5] = 0.64 (by hand);
        // width 0.2 at 95 %: n = 1.959964² · 0.64 / 0.1² = 245.85 → 246 units.
        assert!((kappa_unit_variance(0.6, &[0.5, 0.5]).unwrap() - 0.64).abs() < 1e-12);
        assert_eq!(plan_round_size(0.6, &[0.5, 0.5], 0.2, 0.95).unwrap(), 246);
        // Same κ, rarer code (π = 0.1): v₁ = 0.4·[−0.08 + 0.84/0.18] = 1.834667
        // → n = 3.841459 · 1.834667 / 0.01 = 704.78 → 705.
        assert_eq!(plan_round_size(0.6, &[0.1, 0.9], 0.2, 0.95).unwrap(), 705);
    }

    #[test]
    fn planned_size_delivers_the_width() {
        // The FCE SE that `cohen_kappa` reports on data with exactly the model's cells is
        // √(v₁/n): a table of n = 1000 units with cells 400/100/100/400 has κ = 0.6.
        let e = crate::coefficients::cohen_kappa(&[400, 100, 100, 400], 2, 0.95);
        let v1 = kappa_unit_variance(0.6, &[0.5, 0.5]).unwrap();
        assert!((e.se.unwrap() - (v1 / 1000.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(plan_round_size(0.6, &[0.5, 0.4], 0.2, 0.95).is_err());
        assert!(plan_round_size(0.6, &[1.0], 0.2, 0.95).is_err());
        assert!(plan_round_size(1.5, &[0.5, 0.5], 0.2, 0.95).is_err());
        assert!(plan_round_size(-0.9, &[0.1, 0.9], 0.2, 0.95).is_err());
        assert!(plan_round_size(0.6, &[0.5, 0.5], 0.0, 0.95).is_err());
        assert!(plan_round_size(0.6, &[0.5, 0.5], 0.2, 1.0).is_err());
        assert!(plan_round_size(f64::NAN, &[0.5, 0.5], 0.2, 0.95).is_err());
        assert_eq!(plan_round_size(1.0, &[0.5, 0.5], 0.2, 0.95).unwrap(), 2);
    }
}
