//! The study's base-image types (Operating System, Language Runtime, …) assigned to images by
//! an editable table: `schema/base-image-types.csv` is shipped and embedded; researchers may
//! load their own edited copy with [`BaseImageTypes::from_csv`].
//!
//! Table format: lines starting with `#` and blank lines are ignored; the first other line is
//! the header `pattern,type`; each row is `pattern,type`. A pattern is matched, ignoring case,
//! against the image path: `namespace/name` on Docker Hub (just `name` for an official image,
//! e.g. `ubuntu`) or `registry/namespace/name` elsewhere (`nvcr.io/nvidia/cuda`). `*` matches
//! any run of characters, including `/`. The first matching row wins, so put specific rows
//! before general ones. Images named by an unresolved build argument get the type
//! [`VARIABLE`] without a row.

use thiserror::Error;

use codebench_reference::ImageRef;

/// The type of an image whose name comes from a build argument the file does not resolve.
pub const VARIABLE: &str = "Variable";

/// The 13 base-image types of the study (FACTS.md), in the paper's order.
pub const STUDY_TYPES: [&str; 13] = [
    "Operating System",
    "Language Runtime",
    "Platform Runtime",
    "Machine Learning Platform",
    VARIABLE,
    "Web Computing",
    "Static Binary",
    "Data Processing and Analysis",
    "Interactive Computing",
    "Database",
    "Compute resources and Distributed processing",
    "Network Communication",
    "Monitoring System",
];

const SHIPPED: &str = include_str!("../../../schema/base-image-types.csv");

/// A bad row in a base-image type table.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("base-image type table, line {line}: {message}")]
pub struct TableError {
    /// 1-based line in the table text.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    kind: String,
    /// The pattern split at `*`: `["", "cuda", ""]` for `*cuda*`.
    segments: Vec<String>,
}

impl Rule {
    fn new(pattern: String, kind: String) -> Rule {
        let segments = pattern.split('*').map(str::to_string).collect();
        Rule {
            pattern,
            kind,
            segments,
        }
    }

    /// `*`-glob match by literal segments: the first must start the text, the last must end
    /// it, the middle ones must appear in order (leftmost match suffices for `*`-only globs).
    fn matches(&self, text: &str) -> bool {
        let segs = &self.segments;
        if segs.len() == 1 {
            return segs[0] == text;
        }
        let (first, last) = (&segs[0], &segs[segs.len() - 1]);
        if text.len() < first.len() + last.len()
            || !text.starts_with(first.as_str())
            || !text.ends_with(last.as_str())
        {
            return false;
        }
        let mut window = &text[first.len()..text.len() - last.len()];
        for seg in &segs[1..segs.len() - 1] {
            // Needles and paths are short: a plain scan beats building a Two-Way searcher.
            let (w, n) = (window.as_bytes(), seg.as_bytes());
            match w.windows(n.len().max(1)).position(|x| x == n) {
                Some(i) if !n.is_empty() => window = &window[i + n.len()..],
                _ if n.is_empty() => {}
                _ => return false,
            }
        }
        true
    }
}

/// An ordered list of `pattern → type` rules.
#[derive(Debug)]
pub struct BaseImageTypes {
    rules: Vec<Rule>,
    /// First rule index of each pattern without `*` (exact paths are looked up, not scanned).
    exact: std::collections::HashMap<String, usize>,
    /// Indexes of the rules with a `*`, in table order.
    wildcard: Vec<usize>,
    /// Results already computed, by path (images repeat a lot across a corpus); bounded.
    memo: std::sync::Mutex<std::collections::HashMap<String, Option<usize>>>,
}

/// Most paths remembered by [`BaseImageTypes`]' cache.
const MEMO_LIMIT: usize = 4096;

impl Clone for BaseImageTypes {
    fn clone(&self) -> Self {
        BaseImageTypes {
            rules: self.rules.clone(),
            exact: self.exact.clone(),
            wildcard: self.wildcard.clone(),
            memo: Default::default(),
        }
    }
}

impl BaseImageTypes {
    /// The table shipped in `schema/base-image-types.csv`, embedded at build time.
    pub fn shipped() -> &'static BaseImageTypes {
        static TABLE: std::sync::OnceLock<BaseImageTypes> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| {
            BaseImageTypes::from_csv(SHIPPED).expect("the shipped base-image type table is valid")
        })
    }

    /// Parses a table (see the module documentation for the format).
    pub fn from_csv(text: &str) -> Result<BaseImageTypes, TableError> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let mut rules = Vec::new();
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let row = raw.trim();
            if row.is_empty() || row.starts_with('#') {
                continue;
            }
            let err = |message: String| TableError { line, message };
            let fields: Vec<&str> = row.split(',').map(str::trim).collect();
            if fields.len() != 2 {
                return Err(err(format!(
                    "expected 2 comma-separated fields (pattern,type), found {}",
                    fields.len()
                )));
            }
            if !header_seen {
                if !(fields[0].eq_ignore_ascii_case("pattern")
                    && fields[1].eq_ignore_ascii_case("type"))
                {
                    return Err(err(format!(
                        "expected the header `pattern,type`, found `{row}`"
                    )));
                }
                header_seen = true;
                continue;
            }
            let (pattern, kind) = (fields[0], fields[1]);
            if pattern.is_empty() {
                return Err(err("empty pattern".to_string()));
            }
            if kind.is_empty() {
                return Err(err(format!("empty type for pattern `{pattern}`")));
            }
            if let Some(c) = pattern
                .chars()
                .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\''))
            {
                return Err(err(format!(
                    "pattern `{pattern}` contains {c:?}; use letters, digits, . _ - / : * only"
                )));
            }
            rules.push(Rule::new(pattern.to_ascii_lowercase(), kind.to_string()));
        }
        if !header_seen {
            return Err(TableError {
                line: text.lines().count().max(1),
                message: "no header `pattern,type` found".to_string(),
            });
        }
        let mut exact = std::collections::HashMap::new();
        let mut wildcard = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if r.segments.len() == 1 {
                exact.entry(r.pattern.clone()).or_insert(i);
            } else {
                wildcard.push(i);
            }
        }
        Ok(BaseImageTypes {
            rules,
            exact,
            wildcard,
            memo: Default::default(),
        })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the table has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The type of an image, by its [`ImageRef::match_path`]; `None` when no row matches.
    pub fn classify(&self, image: &ImageRef) -> Option<&str> {
        // Paths are short: build them on the stack (classification runs for every FROM).
        let mut buf = [0u8; 256];
        match image.match_path_in(&mut buf) {
            Some(path) => self.classify_path(path),
            None => self.classify_path(&image.match_path()),
        }
    }

    /// The type for an already lower-cased image path (see the module documentation).
    pub fn classify_path(&self, path: &str) -> Option<&str> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        let index = match memo.get(path) {
            Some(&hit) => hit,
            None => {
                let found = self.find(path);
                if memo.len() < MEMO_LIMIT {
                    memo.insert(path.to_string(), found);
                }
                found
            }
        };
        index.map(|i| self.rules[i].kind.as_str())
    }

    /// The index of the first rule matching `path`.
    fn find(&self, path: &str) -> Option<usize> {
        let exact = self.exact.get(path).copied().unwrap_or(usize::MAX);
        let wild = self
            .wildcard
            .iter()
            .copied()
            .take_while(|&i| i < exact)
            .find(|&i| self.rules[i].matches(path));
        wild.or((exact != usize::MAX).then_some(exact))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codebench_reference::parse_image_reference;

    fn glob(pattern: &str, text: &str) -> bool {
        Rule::new(pattern.to_string(), String::new()).matches(text)
    }

    #[test]
    fn glob_matching() {
        assert!(glob("ubuntu", "ubuntu"));
        assert!(!glob("ubuntu", "ubuntu2"));
        assert!(glob("*/cuda", "nvidia/cuda"));
        assert!(glob("*/cuda", "nvcr.io/nvidia/cuda"));
        assert!(!glob("*/cuda", "cuda"));
        assert!(glob("*cuda*", "nvidia/cuda-ppc64le"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("*", ""));
        assert!(glob("a*a", "aa"));
        assert!(!glob("a*a", "a"));
        assert!(glob("*ab*ab*", "xabyab"));
        assert!(!glob("*ab*ab*", "xaby"));
    }

    #[test]
    fn first_matching_row_wins_and_case_is_ignored() {
        let t = BaseImageTypes::from_csv(
            "# comment\npattern,type\nnvidia/cuda*,Platform Runtime\n*/CUDA,Other\n\nubuntu,Operating System\n",
        )
        .unwrap();
        assert_eq!(t.len(), 3);
        let cuda = parse_image_reference("NVIDIA/cuda:11").unwrap();
        assert_eq!(t.classify(&cuda), Some("Platform Runtime"));
        let other = parse_image_reference("nvcr.io/nvidia/cuda").unwrap();
        assert_eq!(t.classify(&other), Some("Other"));
        let u = parse_image_reference("docker.io/library/ubuntu:22.04").unwrap();
        assert_eq!(t.classify(&u), Some("Operating System"));
        assert_eq!(t.classify(&parse_image_reference("node").unwrap()), None);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let e = BaseImageTypes::from_csv("pattern,type\nubuntu,OS\npython\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = BaseImageTypes::from_csv("image,kind\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = BaseImageTypes::from_csv("pattern,type\n,OS\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = BaseImageTypes::from_csv("pattern,type\nub untu,OS\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(BaseImageTypes::from_csv("# only comments\n").is_err());
    }

    #[test]
    fn shipped_table_uses_only_study_types() {
        let t = BaseImageTypes::shipped();
        assert!(t.len() > 100);
        for r in &t.rules {
            assert!(
                STUDY_TYPES.contains(&r.kind.as_str()),
                "row `{}` has type `{}`, not one of the study's 13",
                r.pattern,
                r.kind
            );
        }
        let c = |s: &str| {
            t.classify(&parse_image_reference(s).unwrap())
                .map(str::to_string)
        };
        assert_eq!(c("ubuntu:20.04").as_deref(), Some("Operating System"));
        assert_eq!(c("python:3.11").as_deref(), Some("Language Runtime"));
        assert_eq!(
            c("nvidia/cuda:11.8.0-base").as_deref(),
            Some("Platform Runtime")
        );
        assert_eq!(
            c("tensorflow/tensorflow:latest-gpu").as_deref(),
            Some("Machine Learning Platform")
        );
        assert_eq!(c("scratch").as_deref(), Some("Static Binary"));
        assert_eq!(
            c("jupyter/scipy-notebook").as_deref(),
            Some("Interactive Computing")
        );
        assert_eq!(c("nginx").as_deref(), Some("Web Computing"));
        assert_eq!(c("postgres:13").as_deref(), Some("Database"));
        assert_eq!(c("grafana/grafana").as_deref(), Some("Monitoring System"));
    }
}
