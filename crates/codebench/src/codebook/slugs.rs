//! Slugs made from names (lowercase ASCII letters and digits joined by '-'), unique among the
//! ids already taken: the ids of codes and dimensions that arrive with only a name.

use std::collections::{HashMap, HashSet};

/// A slug made from a name (lowercase ASCII letters and digits joined by '-'), unique among
/// `taken` (which it joins).
pub(crate) fn slug(name: &str, taken: &mut HashSet<String>) -> String {
    let mut slugs = Slugs {
        taken: std::mem::take(taken),
        ..Default::default()
    };
    let id = slugs.make(name);
    *taken = slugs.taken;
    id
}

/// Unique slugs for many names, in linear time: each base remembers the next number to try, so
/// a thousand codes of one name do not try a thousand numbers each.
#[derive(Debug, Default)]
pub(crate) struct Slugs {
    /// Ids given out (or claimed).
    pub(crate) taken: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Slugs {
    /// Claims `id` as it is; false when it is already taken.
    pub(crate) fn claim(&mut self, id: &str) -> bool {
        self.taken.insert(id.to_string())
    }

    /// A unique slug made from `name` (lowercase ASCII letters and digits joined by '-').
    pub(crate) fn make(&mut self, name: &str) -> String {
        let mut s = String::new();
        for ch in name.to_lowercase().chars() {
            if ch.is_ascii_alphanumeric() {
                s.push(ch);
            } else if !s.ends_with('-') && !s.is_empty() {
                s.push('-');
            }
        }
        let base = s.trim_end_matches('-').to_string();
        let base = if base.is_empty() {
            "code".to_string()
        } else {
            base
        };
        if self.taken.insert(base.clone()) {
            return base;
        }
        let n = self.next.entry(base.clone()).or_insert(2);
        loop {
            let id = format!("{base}-{n}");
            *n += 1;
            if self.taken.insert(id.clone()) {
                return id;
            }
        }
    }
}
