//! The agreement coefficients themselves, on small summaries of the data: a pair's
//! contingency table, or a units × categories count matrix.
//!
//! These are the building blocks of [`crate::report`]; they are public so callers with
//! ready-made tables (and the reference tests) can use them directly.
//!
//! Formulas and the libraries they agree with:
//! - Cohen's κ and its SE (Fleiss, Cohen & Everitt 1969): statsmodels `cohens_kappa`.
//!   CI: κ ± z·SE (normal quantile), upper limit capped at 1.
//! - Fleiss' κ and Gwet's AC1 with missing ratings, their variances (Gwet 2014, *Handbook
//!   of Inter-Rater Reliability*, 4th ed.): irrCAC `CAC.fleiss()` / `CAC.gwet()`; with
//!   complete data Fleiss' κ equals statsmodels `fleiss_kappa`. CI: estimate ± t·SE with
//!   Student's t on n − 1 degrees of freedom, upper limit capped at 1 (as irrCAC).
//! - Krippendorff's α (nominal) from the coincidence matrix: the `krippendorff` package.

use serde::{Deserialize, Serialize};

use crate::quantile::{normal_quantile, t_quantile};

/// A coefficient with its uncertainty, or the reason it is undefined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The coefficient; `None` when undefined.
    pub value: Option<f64>,
    /// Why `value` is `None`.
    pub undefined_reason: Option<String>,
    /// Standard error, when the coefficient has one and is defined.
    pub se: Option<f64>,
    /// Lower confidence limit.
    pub ci_low: Option<f64>,
    /// Upper confidence limit, capped at 1.
    pub ci_high: Option<f64>,
    /// Units the estimate rests on.
    pub n_units: usize,
    /// Observed agreement.
    pub p_o: Option<f64>,
    /// Chance agreement.
    pub p_e: Option<f64>,
}

impl Estimate {
    pub(crate) fn undefined(reason: impl Into<String>, n_units: usize) -> Self {
        Estimate {
            value: None,
            undefined_reason: Some(reason.into()),
            se: None,
            ci_low: None,
            ci_high: None,
            n_units,
            p_o: None,
            p_e: None,
        }
    }

    pub(crate) fn point(value: f64, n_units: usize) -> Self {
        Estimate {
            value: Some(value),
            undefined_reason: None,
            se: None,
            ci_low: None,
            ci_high: None,
            n_units,
            p_o: None,
            p_e: None,
        }
    }

    pub(crate) fn with_interval(mut self, se: f64, quantile: f64) -> Self {
        let v = self.value.expect("interval of a defined estimate");
        self.se = Some(se);
        self.ci_low = Some(v - quantile * se);
        self.ci_high = Some((v + quantile * se).min(1.0));
        self
    }
}

/// Reason used when fewer than two units are available.
pub(crate) const FEW_UNITS: &str = "fewer than two units rated by two or more raters";
/// Reason used when a pair shares fewer than two units.
pub(crate) const FEW_PAIR_UNITS: &str = "fewer than two units rated by both raters";

/// Cohen's κ of two raters from their `k × k` contingency table (row-major,
/// rows = first rater), with the Fleiss–Cohen–Everitt (1969) asymptotic standard error and
/// a normal-theory confidence interval at `confidence`.
///
/// Undefined with fewer than two units, or when both raters put every unit in the same
/// category (chance agreement 1).
pub fn cohen_kappa(table: &[u64], k: usize, confidence: f64) -> Estimate {
    assert_eq!(table.len(), k * k, "cohen_kappa: table must be k × k");
    let n_u: u64 = table.iter().sum();
    let n_units = n_u as usize;
    if n_u < 2 {
        return Estimate::undefined(FEW_PAIR_UNITS, n_units);
    }
    let mut rows = vec![0u64; k];
    let mut cols = vec![0u64; k];
    for i in 0..k {
        for j in 0..k {
            rows[i] += table[i * k + j];
            cols[j] += table[i * k + j];
        }
    }
    if (0..k).any(|i| rows[i] == n_u && cols[i] == n_u) {
        return Estimate::undefined(
            "every rating is the same category, so chance agreement is 1",
            n_units,
        );
    }
    let n = n_u as f64;
    let agree: u64 = (0..k).map(|i| table[i * k + i]).sum();
    let p_o = agree as f64 / n;
    let fr: Vec<f64> = rows.iter().map(|&r| r as f64 / n).collect();
    let fc: Vec<f64> = cols.iter().map(|&c| c as f64 / n).collect();
    let p_e: f64 = (0..k).map(|i| fr[i] * fc[i]).sum();
    let kappa = (p_o - p_e) / (1.0 - p_e);
    // statsmodels' arrangement of the FCE (1969) formula.
    let mut term_a = 0.0;
    let mut term_b = 0.0;
    for i in 0..k {
        for j in 0..k {
            let p = table[i * k + j] as f64 / n;
            if p == 0.0 {
                continue;
            }
            if i == j {
                let t = 1.0 - (fr[i] + fc[i]) * (1.0 - kappa);
                term_a += p * t * t;
            } else {
                let t = fc[i] + fr[j];
                term_b += p * t * t;
            }
        }
    }
    term_b *= (1.0 - kappa) * (1.0 - kappa);
    let term_c = (kappa - p_e * (1.0 - kappa)).powi(2);
    let var = ((term_a + term_b - term_c) / (1.0 - p_e).powi(2) / n).max(0.0);
    let z = normal_quantile(0.5 + confidence / 2.0);
    let mut est = Estimate::point(kappa, n_units).with_interval(var.sqrt(), z);
    est.p_o = Some(p_o);
    est.p_e = Some(p_e);
    est
}

/// Fleiss' κ, Gwet's AC1 and the observed agreement of several raters, computed together
/// from a units × categories count matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChanceCorrected {
    /// Observed agreement: mean share of agreeing rater pairs over units with two or more
    /// ratings (no SE).
    pub percent_agreement: Estimate,
    /// Fleiss' κ (Gwet's generalisation to missing ratings) with Gwet's variance.
    pub fleiss_kappa: Estimate,
    /// Gwet's AC1 with Gwet's variance.
    pub gwet_ac1: Estimate,
    /// Units with at least one rating (the `n` of the variance formulas).
    pub n_rated: usize,
    /// Units with two or more ratings (where agreement is observable).
    pub n_paired: usize,
}

/// Fleiss' κ and Gwet's AC1 from `counts`, a row-major `n × q` matrix where
/// `counts[i * q + k]` is the number of raters who put unit `i` in category `k`.
///
/// Rows with no ratings are ignored. Rows with one rating count toward the category
/// prevalences and `n` but not toward observed agreement, as in irrCAC. `q` is the number
/// of categories in the scale; it matters for AC1 only.
pub fn chance_corrected(counts: &[u32], q: usize, confidence: f64) -> ChanceCorrected {
    chance_corrected_weighted(counts, None, q, confidence)
}

/// [`chance_corrected`] for a present/absent code, from `present[i]` (raters who gave the
/// code to unit i) and `rated[i]` (raters who rated unit i). Units with the same pair of
/// counts contribute identically, so they are tallied first: O(units) integer work plus a
/// computation over at most (raters + 1)² distinct rows.
pub(crate) fn chance_corrected_binary(
    present: &[u32],
    rated: &[u32],
    confidence: f64,
) -> ChanceCorrected {
    let width = rated.iter().copied().max().unwrap_or(0) as usize + 1;
    let mut tally = vec![0u64; width * width];
    for (&a, &r) in present.iter().zip(rated) {
        tally[r as usize * width + a as usize] += 1;
    }
    let mut rows = Vec::new();
    let mut weights = Vec::new();
    for r in 0..width {
        for a in 0..=r {
            let w = tally[r * width + a];
            if w > 0 {
                rows.extend_from_slice(&[(r - a) as u32, a as u32]);
                weights.push(w);
            }
        }
    }
    chance_corrected_weighted(&rows, Some(&weights), 2, confidence)
}

/// [`chance_corrected`] where row i stands for `weights[i]` identical units.
fn chance_corrected_weighted(
    counts: &[u32],
    weights: Option<&[u64]>,
    q: usize,
    confidence: f64,
) -> ChanceCorrected {
    assert!(q > 0 && counts.len() % q == 0, "counts must be n × q");
    // Per rated unit: number of ratings r_i and agreeing-pair share pa_i (0 when r_i < 2).
    let mut unit_w: Vec<f64> = Vec::with_capacity(counts.len() / q);
    let mut unit_r: Vec<f64> = Vec::with_capacity(counts.len() / q);
    let mut unit_pa: Vec<f64> = Vec::with_capacity(counts.len() / q);
    let mut rated_rows: Vec<&[u32]> = Vec::with_capacity(counts.len() / q);
    let mut pi = vec![0.0f64; q];
    let mut cat_total = vec![0u64; q];
    let mut total: u64 = 0;
    let mut pa_sum = 0.0;
    let mut n_paired = 0usize;
    let mut n_rated = 0usize;
    for (i, row) in counts.chunks_exact(q).enumerate() {
        let r: u32 = row.iter().sum();
        if r == 0 {
            continue;
        }
        let w = weights.map_or(1, |w| w[i]);
        let wf = w as f64;
        let rf = r as f64;
        for (k, &c) in row.iter().enumerate() {
            if c > 0 {
                pi[k] += wf * (c as f64 / rf);
                cat_total[k] += w * c as u64;
            }
        }
        total += w * r as u64;
        n_rated += w as usize;
        let pa_i = if r >= 2 {
            n_paired += w as usize;
            let s: f64 = row.iter().map(|&c| (c as f64) * (c as f64 - 1.0)).sum();
            let v = s / (rf * (rf - 1.0));
            pa_sum += wf * v;
            v
        } else {
            0.0
        };
        unit_w.push(wf);
        unit_r.push(rf);
        unit_pa.push(pa_i);
        rated_rows.push(row);
    }
    if n_paired < 2 {
        let und = Estimate::undefined(FEW_UNITS, n_paired);
        return ChanceCorrected {
            percent_agreement: und.clone(),
            fleiss_kappa: und.clone(),
            gwet_ac1: und,
            n_rated,
            n_paired,
        };
    }
    let n = n_rated as f64;
    for p in pi.iter_mut() {
        *p /= n;
    }
    let pa = pa_sum / n_paired as f64;
    let mut percent_agreement = Estimate::point(pa, n_paired);
    percent_agreement.p_o = Some(pa);
    let tq = t_quantile(0.5 + confidence / 2.0, n - 1.0);

    let fleiss_defined = !cat_total.contains(&total);
    let pe_f: f64 = pi.iter().map(|p| p * p).sum();
    let kappa = (pa - pe_f) / (1.0 - pe_f);
    let ac1_defined = q >= 2;
    let qm1 = q.saturating_sub(1).max(1) as f64;
    let pe_g: f64 = pi.iter().map(|p| p * (1.0 - p)).sum::<f64>() / qm1;
    let ac1 = (pa - pe_g) / (1.0 - pe_g);

    // Gwet (2014) linearised variances, as irrCAC `raw.py`: per unit,
    // x_i = (n/n₂)(pa_i − pe·[r_i ≥ 2])/(1 − pe) − 2(1 − coef)(pe_i − pe)/(1 − pe), where
    // pe_i = Σ_k a_ik π_k / r_i for Fleiss and Σ_k a_ik (1 − π_k) / ((q − 1) r_i) = (1 − s_i)/(q − 1)
    // for AC1 with s_i = Σ_k a_ik π_k / r_i.
    let scale = n / n_paired as f64;
    let (mut ss_f, mut ss_g) = (0.0, 0.0);
    for (((row, &rf), &pa_i), &wf) in rated_rows.iter().zip(&unit_r).zip(&unit_pa).zip(&unit_w) {
        let s_i = row.iter().zip(&pi).map(|(&c, p)| c as f64 * p).sum::<f64>() / rf;
        let paired = rf >= 2.0;
        let xf = scale * (pa_i - if paired { pe_f } else { 0.0 }) / (1.0 - pe_f)
            - 2.0 * (1.0 - kappa) * (s_i - pe_f) / (1.0 - pe_f);
        ss_f += wf * (xf - kappa) * (xf - kappa);
        let pe_gi = (1.0 - s_i) / qm1;
        let xg = scale * (pa_i - if paired { pe_g } else { 0.0 }) / (1.0 - pe_g)
            - 2.0 * (1.0 - ac1) * (pe_gi - pe_g) / (1.0 - pe_g);
        ss_g += wf * (xg - ac1) * (xg - ac1);
    }
    let var = |ss: f64| (ss / (n * (n - 1.0))).max(0.0);

    let fleiss_kappa = if fleiss_defined {
        let mut e = Estimate::point(kappa, n_paired).with_interval(var(ss_f).sqrt(), tq);
        e.p_o = Some(pa);
        e.p_e = Some(pe_f);
        e
    } else {
        Estimate::undefined(
            "every rating is the same category, so chance agreement is 1",
            n_paired,
        )
    };
    let gwet_ac1 = if ac1_defined {
        let mut e = Estimate::point(ac1, n_paired).with_interval(var(ss_g).sqrt(), tq);
        e.p_o = Some(pa);
        e.p_e = Some(pe_g);
        e
    } else {
        Estimate::undefined("the scale has a single category", n_paired)
    };

    ChanceCorrected {
        percent_agreement,
        fleiss_kappa,
        gwet_ac1,
        n_rated,
        n_paired,
    }
}

/// Krippendorff's α with the nominal distance from an `n × q` count matrix (as for
/// [`chance_corrected`]); missing ratings are allowed, units with fewer than two ratings
/// are not pairable and are ignored.
///
/// `p_o` is 1 − observed disagreement, `p_e` 1 − expected disagreement. The standard error
/// is Gwet's linearised variance of α (Gwet 2014, *Handbook of Inter-Rater Reliability*,
/// ch. 3; irrCAC's `krippendorff()`), with a Student-t interval on (units − 1) degrees of
/// freedom at `confidence`: α has no exact variance, and this is the one published
/// closed-form estimate that a reference implementation reproduces.
pub fn krippendorff_nominal(counts: &[u32], q: usize, confidence: f64) -> Estimate {
    assert!(q > 0 && counts.len() % q == 0, "counts must be n × q");
    let mut n_c = vec![0u64; q];
    let mut observed = 0.0; // Σ_u (m_u² − Σ_c a_uc²) / (m_u − 1)
    let mut n_units = 0usize;
    for row in counts.chunks_exact(q) {
        let m: u64 = row.iter().map(|&c| c as u64).sum();
        if m < 2 {
            continue;
        }
        n_units += 1;
        let sq: u64 = row.iter().map(|&c| (c as u64) * (c as u64)).sum();
        observed += (m * m - sq) as f64 / (m - 1) as f64;
        for (t, &c) in n_c.iter_mut().zip(row) {
            *t += c as u64;
        }
    }
    if n_units < 2 {
        return Estimate::undefined(FEW_UNITS, n_units);
    }
    let n: u64 = n_c.iter().sum();
    if n_c.contains(&n) {
        return Estimate::undefined(
            "every pairable rating is the same category, so expected disagreement is 0",
            n_units,
        );
    }
    let nf = n as f64;
    let sum_sq: f64 = n_c.iter().map(|&c| (c as f64) * (c as f64)).sum();
    let expected = nf * nf - sum_sq; // Σ_{c≠k} n_c n_k
    let alpha = 1.0 - (nf - 1.0) * observed / expected;
    let se = krippendorff_nominal_se(counts, q, &n_c, n_units);
    let tq = t_quantile(0.5 + confidence / 2.0, n_units as f64 - 1.0);
    let mut e = Estimate::point(alpha, n_units).with_interval(se, tq);
    e.p_o = Some(1.0 - observed / nf);
    e.p_e = Some(1.0 - expected / (nf * (nf - 1.0)));
    e
}

/// Gwet's standard error of nominal α over the `n_units` pairable rows of `counts`, whose
/// category totals are `n_c`. Per unit i with r_i ratings (r̄ their mean over pairable
/// units, π_k = n_k / Σr, p_e = Σπ_k²):
/// pa_i = Σ_k a_ik(a_ik − 1) / (r̄(r_i − 1)) − p_a(r_i − r̄)/r̄ with p_a = (1 − ε)p_a' + ε,
/// ε = 1/Σr and p_a' the mean of the first term; pe_i = Σ_k a_ik π_k / r̄ − p_e(r_i − r̄)/r̄;
/// x_i = (pa_i − p_e)/(1 − p_e) − 2(1 − α')(pe_i − p_e)/(1 − p_e) with
/// α' = (p_a' − p_e)/(1 − p_e); var = Σ(x_i − α')² / (n(n − 1)).
fn krippendorff_nominal_se(counts: &[u32], q: usize, n_c: &[u64], n_units: usize) -> f64 {
    let total: u64 = n_c.iter().sum();
    let n = n_units as f64;
    let r_mean = total as f64 / n;
    let pi: Vec<f64> = n_c.iter().map(|&c| c as f64 / total as f64).collect();
    let pe: f64 = pi.iter().map(|p| p * p).sum();
    let pairable = || {
        counts
            .chunks_exact(q)
            .map(|row| (row, row.iter().map(|&c| c as u64).sum::<u64>()))
            .filter(|&(_, m)| m >= 2)
    };
    let agree = |row: &[u32], m: u64| {
        let s: u64 = row
            .iter()
            .map(|&c| c as u64 * (c as u64).saturating_sub(1))
            .sum();
        s as f64 / (r_mean * (m - 1) as f64)
    };
    let pa_prime = pairable().map(|(row, m)| agree(row, m)).sum::<f64>() / n;
    let eps = 1.0 / total as f64;
    let pa = (1.0 - eps) * pa_prime + eps;
    let alpha_prime = (pa_prime - pe) / (1.0 - pe);
    let ss: f64 = pairable()
        .map(|(row, m)| {
            let spread = (m as f64 - r_mean) / r_mean;
            let pa_i = agree(row, m) - pa * spread;
            let pe_i =
                row.iter().zip(&pi).map(|(&c, p)| c as f64 * p).sum::<f64>() / r_mean - pe * spread;
            let x = (pa_i - pe) / (1.0 - pe) - 2.0 * (1.0 - alpha_prime) * (pe_i - pe) / (1.0 - pe);
            (x - alpha_prime) * (x - alpha_prime)
        })
        .sum();
    (ss / (n * (n - 1.0))).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohen_perfect_agreement_has_zero_se() {
        let e = cohen_kappa(&[5, 0, 0, 7], 2, 0.95);
        assert_eq!(e.value, Some(1.0));
        assert_eq!(e.se, Some(0.0));
        assert_eq!(e.ci_high, Some(1.0));
    }

    #[test]
    fn cohen_single_category_is_undefined() {
        let e = cohen_kappa(&[9, 0, 0, 0], 2, 0.95);
        assert_eq!(e.value, None);
        assert!(e.undefined_reason.unwrap().contains("same category"));
    }

    #[test]
    fn cohen_one_unit_is_undefined() {
        let e = cohen_kappa(&[1, 0, 0, 0], 2, 0.95);
        assert_eq!(e.undefined_reason.as_deref(), Some(FEW_PAIR_UNITS));
    }
}
