//! The ratings as small integers: every rating's leaf codes encoded once for all levels, and
//! a level's categories with the category each leaf code stands for.

use std::collections::{BTreeSet, HashMap};

use crate::distance::FastMap;
use crate::model::Ratings;

/// Every rating's leaf codes as small integers, read once for all levels: a code string is
/// hashed once per rating instead of once per rating and level.
pub(super) struct Encoded<'r> {
    /// Distinct leaf codes: the codebook's first (in its order), then other used codes.
    leaves: Vec<&'r str>,
    /// How many of `leaves` come from the codebook.
    in_codebook: usize,
    /// Per unit and rater (row-major, every rater of the ratings): the range of its leaf ids
    /// in `ids`, or `None` when the rater did not rate the unit.
    spans: Vec<Option<(u32, u32)>>,
    ids: Vec<u32>,
    raters: usize,
}

impl Encoded<'_> {
    /// Leaf ids of unit `u`'s rating by rater `s`; `None` when not rated.
    pub(super) fn rating(&self, u: usize, s: usize) -> Option<&[u32]> {
        self.spans[u * self.raters + s].map(|(a, b)| &self.ids[a as usize..b as usize])
    }

    pub(super) fn units(&self) -> usize {
        self.spans.len() / self.raters.max(1)
    }
}

pub(super) fn encode(r: &Ratings) -> Encoded<'_> {
    let mut leaves: Vec<&str> = Vec::new();
    let mut id_of: FastMap<&str, u32> = FastMap::default();
    for c in &r.codes {
        id_of.entry(c.as_str()).or_insert_with(|| {
            leaves.push(c.as_str());
            leaves.len() as u32 - 1
        });
    }
    let in_codebook = leaves.len();
    let mut spans = Vec::with_capacity(r.units.len() * r.raters.len());
    let mut ids = Vec::new();
    for row in &r.units {
        for rating in row {
            spans.push(rating.as_ref().map(|set| {
                let start = ids.len() as u32;
                for c in set {
                    let id = *id_of.entry(c.as_str()).or_insert_with(|| {
                        leaves.push(c.as_str());
                        leaves.len() as u32 - 1
                    });
                    ids.push(id);
                }
                (start, ids.len() as u32)
            }));
        }
    }
    Encoded {
        leaves,
        in_codebook,
        spans,
        ids,
        raters: r.raters.len(),
    }
}

/// The ratings at one level: leaf ids and the category each stands for.
pub(super) struct Coded<'a, 'r> {
    pub(super) ratings: &'a Encoded<'r>,
    pub(super) category: &'a [u32],
}

/// Level categories: the codebook's (mapped) order first, then other used codes sorted.
/// All raters' codes count, so the category set does not depend on the rater subset.
/// Also returns, per leaf id of `e`, its category index.
pub(super) fn categories(
    e: &Encoded,
    map_code: &dyn Fn(&str) -> String,
) -> (Vec<String>, Vec<u32>) {
    let mut cats = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mapped: Vec<String> = e.leaves.iter().map(|c| map_code(c)).collect();
    for m in &mapped[..e.in_codebook] {
        if !index.contains_key(m) {
            index.insert(m.clone(), cats.len() as u32);
            cats.push(m.clone());
        }
    }
    let extra: BTreeSet<&String> = mapped[e.in_codebook..]
        .iter()
        .filter(|m| !index.contains_key(*m))
        .collect();
    for m in extra {
        index.insert(m.clone(), cats.len() as u32);
        cats.push(m.clone());
    }
    let leaf_to_category = mapped.iter().map(|m| index[m]).collect();
    (cats, leaf_to_category)
}
