//! The statistics of a one-code dimension: percent agreement, Fleiss' κ, Krippendorff's α and
//! AC1 overall; per pair Cohen's κ with its confusion matrix; κ per category.

use super::encoding::Coded;
use super::{binary_reason, pairs, single_rated_note, Ctx};
use crate::coefficients::{
    chance_corrected, chance_corrected_binary, cohen_kappa, krippendorff_nominal, Estimate,
    FEW_PAIR_UNITS,
};
use crate::model::{Confusion, Statistic};

const MISSING: u32 = u32::MAX;

pub(super) fn one_code(level: &Coded, selected: &[usize], categories: &[String], ctx: &mut Ctx) {
    let k = categories.len().max(1);
    let r = selected.len();
    let enc = level.ratings;
    // Encode: one category index per (unit, selected rater); drop units nobody rated.
    let mut codes: Vec<u32> = Vec::with_capacity(enc.units() * r);
    for u in 0..enc.units() {
        let start = codes.len();
        for &s in selected {
            codes.push(match enc.rating(u, s) {
                Some(ids) => level.category[ids[0] as usize],
                None => MISSING,
            });
        }
        if codes[start..].iter().all(|&c| c == MISSING) {
            codes.truncate(start);
        }
    }
    let n = codes.len() / r;
    let mut counts = vec![0u32; n * k];
    for (u, row) in codes.chunks_exact(r).enumerate() {
        for &c in row.iter().filter(|&&c| c != MISSING) {
            counts[u * k + c as usize] += 1;
        }
    }
    let conf = ctx.options.confidence;
    let all = ctx.raters.clone();
    let cc = chance_corrected(&counts, k, conf);
    let note = single_rated_note(cc.n_rated, cc.n_paired);
    ctx.few_units(&all, cc.n_paired, "two or more of the selected raters");
    ctx.push(
        None,
        Statistic::PercentAgreement,
        &all,
        cc.percent_agreement,
        None,
    );
    if r >= 3 {
        ctx.push(
            None,
            Statistic::FleissKappa,
            &all,
            cc.fleiss_kappa,
            note.clone(),
        );
    }
    ctx.push(
        None,
        Statistic::KrippendorffAlpha,
        &all,
        krippendorff_nominal(&counts, k, conf),
        None,
    );
    ctx.push(None, Statistic::GwetAc1, &all, cc.gwet_ac1, note.clone());

    // Pairs: contingency tables over units both rated.
    let pair_list = pairs(r);
    let mut tables = Vec::with_capacity(pair_list.len());
    for &(a, b) in &pair_list {
        let names = vec![all[a].clone(), all[b].clone()];
        let mut table = vec![0u64; k * k];
        let mut pair_counts = Vec::new();
        for row in codes.chunks_exact(r) {
            let (x, y) = (row[a], row[b]);
            if x != MISSING && y != MISSING {
                table[x as usize * k + y as usize] += 1;
                let start = pair_counts.len();
                pair_counts.resize(start + k, 0u32);
                pair_counts[start + x as usize] += 1;
                pair_counts[start + y as usize] += 1;
            }
        }
        let shared = pair_counts.len() / k;
        if r > 2 {
            ctx.few_units(
                &names,
                shared,
                &format!("both {} and {}", names[0], names[1]),
            );
        }
        let cohen = cohen_kappa(&table, k, conf);
        let pa = match cohen.p_o {
            Some(p) => {
                let mut e = Estimate::point(p, shared);
                e.p_o = Some(p);
                e
            }
            None if shared >= 2 => {
                // Undefined κ (one category) still has a percent agreement of 1.
                let mut e = Estimate::point(1.0, shared);
                e.p_o = Some(1.0);
                e
            }
            None => Estimate::undefined(FEW_PAIR_UNITS, shared),
        };
        // With two raters the pair's percent agreement and AC1 are the overall rows.
        if r > 2 {
            ctx.push(None, Statistic::PercentAgreement, &names, pa, None);
        }
        ctx.push(None, Statistic::CohenKappa, &names, cohen, None);
        if r > 2 {
            let ac1 = chance_corrected(&pair_counts, k, conf).gwet_ac1;
            ctx.push(None, Statistic::GwetAc1, &names, ac1, None);
        }
        ctx.out.confusion.push(Confusion {
            dimension: ctx.dimension.to_string(),
            level: ctx.level,
            raters: names.clone(),
            categories: categories.to_vec(),
            counts: table
                .chunks_exact(k)
                .take(categories.len())
                .map(|r| r[..categories.len()].to_vec())
                .collect(),
            n_units: shared,
        });
        tables.push((names, table, shared));
    }

    // κ per category.
    let rated_per_unit: Vec<u32> = counts.chunks_exact(k).map(|row| row.iter().sum()).collect();
    let total: u64 = rated_per_unit.iter().map(|&x| x as u64).sum();
    let mut in_category = vec![0u32; n];
    for (c, cat) in categories.iter().enumerate() {
        if r >= 3 {
            for (u, slot) in in_category.iter_mut().enumerate() {
                *slot = counts[u * k + c];
            }
            let cc = chance_corrected_binary(&in_category, &rated_per_unit, conf);
            let note = single_rated_note(cc.n_rated, cc.n_paired);
            let present: u64 = in_category.iter().map(|&x| x as u64).sum();
            let fleiss = binary_reason(cc.fleiss_kappa, present, total);
            ctx.push(Some(cat), Statistic::FleissKappa, &all, fleiss, note);
        }
        for (names, table, shared) in &tables {
            let row: u64 = table[c * k..(c + 1) * k].iter().sum();
            let col: u64 = (0..k).map(|i| table[i * k + c]).sum();
            let both = table[c * k + c];
            let two = [
                *shared as u64 + both - row - col,
                col - both,
                row - both,
                both,
            ];
            let cohen = binary_reason(cohen_kappa(&two, 2, conf), row + col, 2 * *shared as u64);
            ctx.push(Some(cat), Statistic::CohenKappa, names, cohen, None);
            ctx.bias(cat, names, row, col, *shared);
        }
    }
}
