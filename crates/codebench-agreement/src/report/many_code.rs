//! The statistics of a many-code dimension: exact-set agreement and Krippendorff's α (MASI,
//! Jaccard) over whole code sets, each code as present/absent (prevalence, percent agreement,
//! Fleiss' and Cohen's κ), and their means over codes.

use super::encoding::Coded;
use super::{binary_reason, pairs, single_rated_note, Ctx};
use crate::coefficients::{chance_corrected_binary, cohen_kappa, Estimate, FEW_PAIR_UNITS};
use crate::distance::{set_agreement, SetTable};
use crate::model::{StatResult, Statistic};

pub(super) fn many_code(level: &Coded, selected: &[usize], categories: &[String], ctx: &mut Ctx) {
    let k = categories.len();
    let words = k.div_ceil(64).max(1);
    let r = selected.len();
    let enc = level.ratings;
    // Encode: a bitset per (unit, selected rater) plus whether it was rated.
    let mut bits: Vec<u64> = Vec::with_capacity(enc.units() * r * words);
    let mut rated: Vec<bool> = Vec::with_capacity(enc.units() * r);
    for u in 0..enc.units() {
        let (bstart, rstart) = (bits.len(), rated.len());
        for &s in selected {
            let at = bits.len();
            bits.resize(at + words, 0);
            match enc.rating(u, s) {
                Some(ids) => {
                    for &id in ids {
                        let i = level.category[id as usize] as usize;
                        bits[at + i / 64] |= 1u64 << (i % 64);
                    }
                    rated.push(true);
                }
                None => rated.push(false),
            }
        }
        if !rated[rstart..].iter().any(|&x| x) {
            bits.truncate(bstart);
            rated.truncate(rstart);
        }
    }
    let n = rated.len() / r;
    let set_of = |u: usize, j: usize| -> &[u64] {
        let s = (u * r + j) * words;
        &bits[s..s + words]
    };
    let conf = ctx.options.confidence;
    let all = ctx.raters.clone();

    // Whole code sets: exact-set agreement and Krippendorff's α (MASI, Jaccard).
    let mut table = SetTable::new(words);
    let unit_ids: Vec<Vec<u32>> = (0..n)
        .map(|u| {
            (0..r)
                .filter(|&j| rated[u * r + j])
                .map(|j| table.intern(set_of(u, j)))
                .collect()
        })
        .collect();
    let sets = set_agreement(&table, &unit_ids, conf);
    let n_paired = sets.exact.n_units;
    ctx.few_units(&all, n_paired, "two or more of the selected raters");
    ctx.push(None, Statistic::ExactSetAgreement, &all, sets.exact, None);
    ctx.push(
        None,
        Statistic::KrippendorffAlphaMasi,
        &all,
        sets.masi,
        None,
    );
    ctx.push(
        None,
        Statistic::KrippendorffAlphaJaccard,
        &all,
        sets.jaccard,
        None,
    );

    // Per code and unit: how many raters gave the code, and how many rated the unit.
    let mut code_counts = vec![0u32; k * n];
    let mut raters_per_unit = vec![0u32; n];
    for u in 0..n {
        for j in 0..r {
            if !rated[u * r + j] {
                continue;
            }
            raters_per_unit[u] += 1;
            for (w, &word) in set_of(u, j).iter().enumerate() {
                let mut x = word;
                while x != 0 {
                    let c = w * 64 + x.trailing_zeros() as usize;
                    code_counts[c * n + u] += 1;
                    x &= x - 1;
                }
            }
        }
    }
    let total_ratings: u64 = raters_per_unit.iter().map(|&x| x as u64).sum();

    // Per pair and code: 2 × 2 tables over units both rated.
    struct PairTables {
        names: Vec<String>,
        shared: usize,
        equal: usize,
        n11: Vec<u64>,
        n10: Vec<u64>,
        n01: Vec<u64>,
    }
    let mut pair_tables: Vec<PairTables> = pairs(r)
        .into_iter()
        .map(|(a, b)| {
            let mut t = PairTables {
                names: vec![all[a].clone(), all[b].clone()],
                shared: 0,
                equal: 0,
                n11: vec![0; k],
                n10: vec![0; k],
                n01: vec![0; k],
            };
            for u in 0..n {
                if !(rated[u * r + a] && rated[u * r + b]) {
                    continue;
                }
                t.shared += 1;
                let (sa, sb) = (set_of(u, a), set_of(u, b));
                if sa == sb {
                    t.equal += 1;
                }
                for w in 0..words {
                    let (x, y) = (sa[w], sb[w]);
                    for (bitsv, dest) in [
                        (x & y, &mut t.n11),
                        (x & !y, &mut t.n10),
                        (!x & y, &mut t.n01),
                    ] {
                        let mut v = bitsv;
                        while v != 0 {
                            dest[w * 64 + v.trailing_zeros() as usize] += 1;
                            v &= v - 1;
                        }
                    }
                }
            }
            t
        })
        .collect();

    // Per-code statistics.
    let mut fleiss_values = Vec::new();
    let mut cohen_values: Vec<Vec<f64>> = vec![Vec::new(); pair_tables.len()];
    let mut per_code: Vec<StatResult> = Vec::new();
    let results_before = ctx.out.results.len();
    for (c, code) in categories.iter().enumerate() {
        let cnt = &code_counts[c * n..(c + 1) * n];
        let present: u64 = cnt.iter().map(|&x| x as u64).sum();
        let cc = chance_corrected_binary(cnt, &raters_per_unit, conf);
        let prevalence = if total_ratings == 0 {
            Estimate::undefined("no ratings", 0)
        } else {
            Estimate::point(present as f64 / total_ratings as f64, cc.n_rated)
        };
        ctx.push(
            Some(code),
            Statistic::Prevalence,
            &all,
            prevalence,
            Some(format!(
                "{present} of {total_ratings} ratings include the code"
            )),
        );
        ctx.push(
            Some(code),
            Statistic::PercentAgreement,
            &all,
            cc.percent_agreement,
            None,
        );
        if r >= 3 {
            if let Some(v) = cc.fleiss_kappa.value {
                fleiss_values.push(v);
            }
            let note = single_rated_note(cc.n_rated, cc.n_paired);
            let fleiss = binary_reason(cc.fleiss_kappa, present, total_ratings);
            ctx.push(Some(code), Statistic::FleissKappa, &all, fleiss, note);
        }
        for (p, t) in pair_tables.iter_mut().enumerate() {
            let (n11, n10, n01) = (t.n11[c], t.n10[c], t.n01[c]);
            let n00 = t.shared as u64 - n11 - n10 - n01;
            let cohen = binary_reason(
                cohen_kappa(&[n00, n01, n10, n11], 2, conf),
                2 * n11 + n10 + n01,
                2 * t.shared as u64,
            );
            let pa = if t.shared >= 2 {
                let p_o = (n00 + n11) as f64 / t.shared as f64;
                let mut e = Estimate::point(p_o, t.shared);
                e.p_o = Some(p_o);
                e
            } else {
                Estimate::undefined(FEW_PAIR_UNITS, t.shared)
            };
            if let Some(v) = cohen.value {
                cohen_values[p].push(v);
            }
            let names = t.names.clone();
            if r > 2 {
                ctx.push(Some(code), Statistic::PercentAgreement, &names, pa, None);
            }
            ctx.push(Some(code), Statistic::CohenKappa, &names, cohen, None);
            ctx.bias(code, &names, n11 + n10, n11 + n01, t.shared);
        }
    }
    // Per-code rows go after the overall and pair rows.
    per_code.extend(ctx.out.results.drain(results_before..));

    let mean = |values: &[f64], n_units: usize| -> (Estimate, Option<String>) {
        if values.is_empty() {
            (
                Estimate::undefined("no code has a defined κ", n_units),
                None,
            )
        } else {
            let m = values.iter().sum::<f64>() / values.len() as f64;
            (
                Estimate::point(m, n_units),
                Some(format!(
                    "mean over the {} of {k} codes whose κ is defined",
                    values.len()
                )),
            )
        }
    };
    if r >= 3 {
        let (e, note) = mean(&fleiss_values, n_paired);
        ctx.push(None, Statistic::MeanFleissKappa, &all, e, note);
    }
    for (p, t) in pair_tables.iter().enumerate() {
        if r > 2 {
            let whom = format!("both {} and {}", t.names[0], t.names[1]);
            ctx.few_units(&t.names, t.shared, &whom);
        }
        let exact = if t.shared >= 2 {
            let v = t.equal as f64 / t.shared as f64;
            let mut e = Estimate::point(v, t.shared);
            e.p_o = Some(v);
            e
        } else {
            Estimate::undefined(FEW_PAIR_UNITS, t.shared)
        };
        if r > 2 {
            ctx.push(None, Statistic::ExactSetAgreement, &t.names, exact, None);
        }
        let (e, note) = mean(&cohen_values[p], t.shared);
        ctx.push(None, Statistic::MeanCohenKappa, &t.names, e, note);
    }
    ctx.out.results.extend(per_code);
}
