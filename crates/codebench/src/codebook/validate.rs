//! The check that a codebook holds together: ids are slugs, nothing appears twice, names are
//! not empty, parents exist without cycles, and every label stands for one code only.

use std::collections::{HashMap, HashSet};

use super::Codebook;

impl Codebook {
    /// Checks the codebook holds together; the message names the code or field at fault.
    pub fn validate(&self) -> std::result::Result<(), String> {
        check_id("codebook id", &self.id)?;
        if self.name.trim().is_empty() {
            return Err("the codebook has an empty name".into());
        }
        if self.dimensions.is_empty() {
            return Err("the codebook has no dimension".into());
        }
        let mut dims = HashSet::new();
        for d in &self.dimensions {
            check_id("dimension id", &d.id)?;
            if !dims.insert(d.id.as_str()) {
                return Err(format!("dimension '{}' appears twice", d.id));
            }
            if d.name.trim().is_empty() {
                return Err(format!("dimension '{}' has an empty name", d.id));
            }
            if d.codes.is_empty() {
                return Err(format!("dimension '{}' has no code", d.id));
            }
            let mut ids = HashSet::new();
            for c in &d.codes {
                check_id(&format!("code id in dimension '{}'", d.id), &c.id)?;
                if !ids.insert(c.id.as_str()) {
                    return Err(format!(
                        "code '{}' appears twice in dimension '{}'",
                        c.id, d.id
                    ));
                }
                if c.name.trim().is_empty() {
                    return Err(format!(
                        "code '{}' in dimension '{}' has an empty name",
                        c.id, d.id
                    ));
                }
            }
            let parents: HashMap<&str, Option<&str>> = d
                .codes
                .iter()
                .map(|c| (c.id.as_str(), c.parent.as_deref()))
                .collect();
            for c in &d.codes {
                if let Some(p) = c.parent.as_deref() {
                    if !parents.contains_key(p) {
                        return Err(format!(
                            "code '{}' in dimension '{}' has unknown parent '{p}'",
                            c.id, d.id
                        ));
                    }
                }
                // Walk up; a walk longer than the number of codes is a cycle.
                let mut at = c.parent.as_deref();
                let mut steps = 0;
                while let Some(p) = at {
                    steps += 1;
                    if p == c.id || steps > d.codes.len() {
                        return Err(format!(
                            "code '{}' in dimension '{}' is its own ancestor (a cycle)",
                            c.id, d.id
                        ));
                    }
                    at = parents.get(p).copied().flatten();
                }
            }
            // Names and aliases must resolve to one code only.
            let mut labels: HashMap<String, &str> = HashMap::new();
            for c in &d.codes {
                let mut own: HashSet<String> = HashSet::new();
                for label in std::iter::once(&c.id)
                    .chain(std::iter::once(&c.name))
                    .chain(c.aliases.iter())
                {
                    let key = label.trim().to_lowercase();
                    if !own.insert(key.clone()) {
                        continue;
                    }
                    if let Some(other) = labels.insert(key, &c.id) {
                        return Err(format!(
                            "label '{label}' of code '{}' is also a label of code '{other}' in dimension '{}'",
                            c.id, d.id
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_id(what: &str, id: &str) -> std::result::Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} '{id}' is not a slug (lowercase letters, digits, '-' or '_')"
        ))
    }
}
