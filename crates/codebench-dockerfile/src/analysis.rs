//! The metrics of one Dockerfile: instruction counts, stages and their base images (resolved
//! through ARG defaults, split, typed), `COPY --from` links, RUN command categories, ports,
//! users, mounts, ADD URLs and the hygiene checks the study recommends.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::base_types::{BaseImageTypes, VARIABLE};
use crate::parser::{self, Directives, Form, Instruction};
use crate::run;
use crate::source::{self, MAX_BYTES};
use codebench_reference::parse_image_reference;

/// Counts by name; names are borrowed static strings where known (no allocation), owned when
/// read back from JSON or for words found in the file. Serialises as a JSON object.
pub type Counts = BTreeMap<Cow<'static, str>, u32>;

/// A problem found in the file, with the line it is on when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Diagnostic {
    /// 1-based line, `None` for the whole file.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A problem on line `line`.
    pub fn at(line: u32, message: String) -> Diagnostic {
        Diagnostic {
            line: Some(line),
            message,
        }
    }

    /// A problem with the whole file.
    pub fn file(message: String) -> Diagnostic {
        Diagnostic {
            line: None,
            message,
        }
    }
}

/// How a stage's base image is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TagStatus {
    /// A tag other than `latest`.
    Tagged,
    /// The tag `latest`.
    Latest,
    /// No tag and no digest (Docker uses `latest`).
    Untagged,
    /// Pinned by digest.
    Digest,
    /// The tag comes from an unresolved build argument.
    Variable,
    /// Not an image: a previous stage, `scratch`, or an unresolved image name.
    None,
}

/// The base of a stage, as written and as resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BaseImage {
    /// The FROM argument as written (`${BASE}`).
    pub text: String,
    /// After substituting global ARG defaults (`python:3.11`); equal to `text` when there was
    /// nothing to substitute.
    pub resolved: String,
    /// Registry host, if written.
    pub registry: Option<String>,
    /// Namespace (organisation), `None` for official images.
    pub namespace: Option<String>,
    /// Image name (last path component); `None` when the name is unresolved or invalid.
    pub name: Option<String>,
    /// Tag, if written.
    pub tag: Option<String>,
    /// Digest, if written.
    pub digest: Option<String>,
    /// Docker Official Image (`true`), organisation or other registry (`false`); `None` when
    /// not an image (stage, unresolved name).
    pub official: Option<bool>,
    /// The image name still contains an unresolved `$` build argument.
    pub variable: bool,
    /// Index of the earlier stage this one builds on (`FROM build AS test`).
    pub stage: Option<usize>,
    /// How the image is pinned.
    pub tag_status: TagStatus,
}

/// One build stage (a FROM and the instructions up to the next FROM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Stage {
    /// 0-based position.
    pub index: usize,
    /// `AS name`, lower-cased as BuildKit does.
    pub name: Option<String>,
    /// Line of the FROM.
    pub line: u32,
    /// The base image.
    pub base: BaseImage,
    /// `--platform` value as written.
    pub platform: Option<String>,
    /// Study base-image type; `Variable` for an unresolved name; `None` for a stage base or an
    /// image the table does not know.
    pub base_type: Option<String>,
    /// Instructions in the stage, the FROM included.
    pub instructions: u32,
    /// RUN command categories of this stage (see [`Analysis::run_categories`]).
    pub run_categories: Counts,
    /// The last USER of the stage.
    pub user: Option<String>,
}

/// A `COPY --from` between stages (or from an outside image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CopyFrom {
    /// Line of the COPY.
    pub line: u32,
    /// Index of the stage holding the COPY (`None` before the first FROM).
    pub stage: Option<usize>,
    /// The `--from` value as written.
    pub from: String,
    /// Index of the stage it names, `None` when it names an image.
    pub from_stage: Option<usize>,
}

/// An ARG before the first FROM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GlobalArg {
    /// Line of the ARG.
    pub line: u32,
    /// Name.
    pub name: String,
    /// Default value (quotes removed), if any.
    pub default: Option<String>,
}

/// RUN instruction statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunStats {
    /// RUN instructions (ONBUILD triggers not included).
    pub instructions: u32,
    /// In exec (JSON) form.
    pub exec_form: u32,
    /// With at least one here-document.
    pub heredoc: u32,
    /// With a `--mount` flag.
    pub mount: u32,
    /// Commands after splitting (those with a first word).
    pub commands: u32,
}

/// A value found on a line (an ADD URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Located {
    /// Line of the instruction.
    pub line: u32,
    /// The value.
    pub value: String,
}

/// A hygiene finding (a practice the study recommends against).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Finding {
    /// Stable rule id: `apt-install-recommends`, `apt-lists-not-cleaned`, `pip-cache`,
    /// `add-instead-of-copy`, `no-user`, `base-untagged`, `base-latest`.
    pub rule: Cow<'static, str>,
    /// Line of the instruction (the last FROM for `no-user`).
    pub line: u32,
    /// Explanation.
    pub message: Cow<'static, str>,
}

/// Everything measured on one Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Analysis {
    /// The path given by the caller.
    pub path: String,
    /// Size of the input in bytes.
    pub bytes: u64,
    /// Physical lines.
    pub lines: u32,
    /// Comment lines (parser directives included; here-document bodies excluded).
    pub comment_lines: u32,
    /// Blank lines (here-document bodies excluded).
    pub blank_lines: u32,
    /// Parser directives.
    pub directives: Directives,
    /// Instructions in file order.
    pub instructions: Vec<Instruction>,
    /// Instructions per keyword (known keywords only; ONBUILD triggers counted as ONBUILD).
    pub counts: Counts,
    /// Instructions whose keyword BuildKit does not know.
    pub unknown_instructions: u32,
    /// Build stages.
    pub stages: Vec<Stage>,
    /// More than one FROM.
    pub multi_stage: bool,
    /// No FROM, or instructions other than ARG before the first FROM: a fragment that build
    /// tooling completes (BuildKit's parser accepts it, its build does not).
    pub partial: bool,
    /// ARGs before the first FROM.
    pub global_args: Vec<GlobalArg>,
    /// `COPY --from` links.
    pub copy_from: Vec<CopyFrom>,
    /// Distinct study types of the external base images, in stage order.
    pub base_types: Vec<String>,
    /// RUN commands per study category, plus `Unknown` (first word in no list); all six keys
    /// are always present.
    pub run_categories: Counts,
    /// First words in no category list, with their counts.
    pub run_unknown_words: Counts,
    /// RUN statistics.
    pub run: RunStats,
    /// EXPOSEd ports as written (`8080`, `53/udp`, `${PORT}`).
    pub exposed_ports: Vec<String>,
    /// The last USER of the final stage.
    pub user: Option<String>,
    /// The final stage runs as a user other than root.
    pub non_root_user: bool,
    /// Some RUN uses `--mount`.
    pub uses_mount: bool,
    /// ADD sources that are URLs.
    pub add_urls: Vec<Located>,
    /// Hygiene findings.
    pub hygiene: Vec<Finding>,
    /// Parse errors (with lines). The rest of the file is still analysed.
    pub errors: Vec<Diagnostic>,
    /// Warnings: things BuildKit accepts but flags, and partial files.
    pub warnings: Vec<Diagnostic>,
}

/// Analyses one Dockerfile with the shipped base-image type table. Never panics; any bytes are
/// accepted; inputs over [`MAX_BYTES`] yield an error and no instructions.
pub fn analyze(path: &str, bytes: &[u8]) -> Analysis {
    analyze_with(path, bytes, BaseImageTypes::shipped())
}

/// Analyses one Dockerfile with a given base-image type table.
pub fn analyze_with(path: &str, bytes: &[u8], types: &BaseImageTypes) -> Analysis {
    if bytes.len() > MAX_BYTES {
        return too_large(path, bytes.len() as u64);
    }
    let mut a = empty(path, bytes.len() as u64);
    let src = source::decode(bytes);
    let parsed = parser::parse(&src.text);
    a.errors = src.errors;
    for e in parsed.errors {
        parser::push_capped(&mut a.errors, e);
    }
    a.warnings = parsed.warnings;
    a.directives = parsed.directives;
    a.lines = parsed.lines;
    a.comment_lines = parsed.comment_lines;
    a.blank_lines = parsed.blank_lines;
    a.instructions = parsed.instructions;
    measure(&mut a, types);
    a
}

/// An analysis with nothing measured yet (every count zero, all six RUN categories present).
fn empty(path: &str, bytes: u64) -> Analysis {
    Analysis {
        path: path.to_string(),
        bytes,
        lines: 0,
        comment_lines: 0,
        blank_lines: 0,
        directives: Directives::default(),
        instructions: Vec::new(),
        counts: BTreeMap::new(),
        unknown_instructions: 0,
        stages: Vec::new(),
        multi_stage: false,
        partial: false,
        global_args: Vec::new(),
        copy_from: Vec::new(),
        base_types: Vec::new(),
        run_categories: empty_categories(),
        run_unknown_words: BTreeMap::new(),
        run: RunStats::default(),
        exposed_ports: Vec::new(),
        user: None,
        non_root_user: false,
        uses_mount: false,
        add_urls: Vec::new(),
        hygiene: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    }
}

/// What [`analyze`] gives for an input of `bytes` bytes over [`MAX_BYTES`], without the bytes
/// (bulk analysis reports a large file from its size alone, without reading it).
#[cfg_attr(not(feature = "bulk"), allow(dead_code))]
pub(crate) fn too_large(path: &str, bytes: u64) -> Analysis {
    let mut a = empty(path, bytes);
    a.errors.push(Diagnostic::file(format!(
        "file too large: {bytes} bytes, the limit is {MAX_BYTES} bytes; not analysed"
    )));
    a
}

fn empty_categories() -> Counts {
    // Cloning a ready map is cheaper than collecting (which sorts) for every stage.
    static TEMPLATE: std::sync::OnceLock<Counts> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            run::CATEGORIES
                .iter()
                .chain(std::iter::once(&run::UNKNOWN))
                .map(|c| (Cow::Borrowed(*c), 0))
                .collect()
        })
        .clone()
}

/// Per-stage state while walking the instructions.
#[derive(Default)]
struct StageState {
    pip_no_cache_env: bool,
}

/// RUN command counts per category ([`run::CATEGORIES`] then [`run::UNKNOWN`]), kept in arrays
/// while walking the instructions and written to the maps once (map updates cost far more).
#[derive(Default)]
struct Tally {
    /// The whole file.
    all: [u32; 6],
    /// The current stage (or the instructions before the first FROM, which belong to none).
    stage: [u32; 6],
}

impl Tally {
    /// Adds the counts of `tally` to a map made by [`empty_categories`].
    fn add_to(tally: &[u32; 6], map: &mut Counts) {
        if tally.iter().all(|&n| n == 0) {
            return;
        }
        // One walk over the map (it holds exactly the six names) instead of six searches.
        for (name, count) in map.iter_mut() {
            let slot = match &**name {
                "Dependencies" => 0,
                "Filesystem" => 1,
                "Build/Execute" => 2,
                "Environment" => 3,
                "Permissions" => 4,
                "Unknown" => 5,
                _ => continue,
            };
            *count += tally[slot];
        }
    }

    /// Ends the current stage: its counts go to `stage` (none before the first FROM).
    fn end_stage(&mut self, stage: Option<&mut Stage>) {
        if let Some(stage) = stage {
            Tally::add_to(&self.stage, &mut stage.run_categories);
        }
        self.stage = [0; 6];
    }
}

fn measure(a: &mut Analysis, types: &BaseImageTypes) {
    let instructions = std::mem::take(&mut a.instructions);
    let mut global: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut seen_from = false;
    let mut before_from = false;
    let mut state = StageState::default();
    let mut tally = Tally::default();
    // Per keyword, in `parser::KEYWORDS` order; written to `a.counts` at the end.
    let mut keyword_counts = [0u32; parser::KEYWORDS.len()];

    for ins in &instructions {
        if let Cow::Borrowed(k) = ins.keyword {
            match parser::keyword_index(k.as_bytes()) {
                Some(i) => keyword_counts[i] += 1,
                None => increment_static(&mut a.counts, k),
            }
        } else {
            a.unknown_instructions += 1;
        }
        if let Some(stage) = a.stages.last_mut() {
            stage.instructions += 1;
        }
        match &ins.keyword[..] {
            "FROM" => {
                seen_from = true;
                state = StageState::default();
                tally.end_stage(a.stages.last_mut());
                let stage = new_stage(ins, a.stages.len(), &global, &a.stages, types);
                if let Some(t) = &stage.base_type {
                    if stage.base.stage.is_none() && !a.base_types.contains(t) {
                        a.base_types.push(t.clone());
                    }
                }
                if let Some(status) = match stage.base.tag_status {
                    TagStatus::Untagged => Some(("base-untagged", "has no tag (means `latest`)")),
                    TagStatus::Latest => Some(("base-latest", "uses the tag `latest`")),
                    _ => None,
                } {
                    a.hygiene.push(Finding {
                        rule: Cow::Borrowed(status.0),
                        line: ins.line,
                        message: Cow::Owned(format!(
                            "base image `{}` {}: builds are not reproducible; pin a version",
                            stage.base.resolved, status.1
                        )),
                    });
                }
                a.stages.push(stage);
            }
            "ARG" => {
                for word in &ins.args {
                    let (name, default) = match word.split_once('=') {
                        Some((n, v)) => (n.to_string(), Some(unquote_value(v))),
                        None => (word.clone(), None),
                    };
                    if !seen_from {
                        global.insert(name.clone(), default.clone());
                        a.global_args.push(GlobalArg {
                            line: ins.line,
                            name,
                            default,
                        });
                    }
                }
            }
            "RUN" => measure_run(a, ins, &state, &mut tally),
            "COPY" => {
                if let Some(from) = ins.flag("from") {
                    let current = a.stages.len().checked_sub(1);
                    let from_stage = stage_index(from, &a.stages);
                    a.copy_from.push(CopyFrom {
                        line: ins.line,
                        stage: current,
                        from: from.to_string(),
                        from_stage,
                    });
                }
            }
            "ADD" => measure_add(a, ins),
            "EXPOSE" => a.exposed_ports.extend(ins.args.iter().cloned()),
            "USER" => {
                if let (Some(stage), Some(u)) = (a.stages.last_mut(), ins.args.first()) {
                    stage.user = Some(u.clone());
                }
            }
            "ENV"
                if ins
                    .args
                    .iter()
                    .any(|kv| kv.split('=').next() == Some("PIP_NO_CACHE_DIR")) =>
            {
                state.pip_no_cache_env = true;
            }
            _ => {}
        }
        if !seen_from && ins.keyword != "ARG" {
            before_from = true;
        }
    }
    a.instructions = instructions;
    // In reverse order each new key is the smallest, so its search ends at the first
    // comparison.
    for (k, &n) in parser::KEYWORDS.iter().zip(&keyword_counts).rev() {
        if n > 0 {
            *a.counts.entry(Cow::Borrowed(*k)).or_insert(0) += n;
        }
    }
    tally.end_stage(a.stages.last_mut());
    Tally::add_to(&tally.all, &mut a.run_categories);

    a.multi_stage = a.stages.len() > 1;
    if a.stages.is_empty() && !a.instructions.is_empty() {
        a.partial = true;
        a.warnings.push(Diagnostic::file(
            "no FROM: a partial Dockerfile (fragment or template); BuildKit parses it but cannot \
             build it"
                .to_string(),
        ));
    } else if before_from {
        a.partial = true;
        let line = a
            .instructions
            .iter()
            .find(|i| i.keyword != "ARG")
            .map_or(1, |i| i.line);
        a.warnings.push(Diagnostic::at(
            line,
            "instruction before the first FROM: a partial Dockerfile; BuildKit parses it but \
             cannot build it"
                .to_string(),
        ));
    }
    if let Some(last) = a.stages.last() {
        a.user = last.user.clone();
        a.non_root_user = a.user.as_deref().is_some_and(|u| !is_root(u));
        if !a.non_root_user {
            a.hygiene.push(Finding {
                rule: Cow::Borrowed("no-user"),
                line: last.line,
                message: match &a.user {
                    Some(u) => Cow::Owned(format!("the final stage runs as root (USER {u})")),
                    None => Cow::Borrowed("the final stage sets no USER, so it runs as root"),
                },
            });
        }
    }
}

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user);
    name == "root" || name == "0"
}

/// Removes one level of shell quotes from an ARG default (`"3.11"` → `3.11`).
fn unquote_value(v: &str) -> String {
    let bytes = v.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        v[1..v.len() - 1].to_string()
    } else {
        v.replace("\\ ", " ")
    }
}

/// The stage `reference` names: a stage name (case-insensitive) or a numeric index.
fn stage_index(reference: &str, stages: &[Stage]) -> Option<usize> {
    if let Ok(n) = reference.parse::<usize>() {
        return (n < stages.len()).then_some(n);
    }
    let lower = reference.to_ascii_lowercase();
    stages
        .iter()
        .position(|s| s.name.as_deref() == Some(lower.as_str()))
}

/// Substitutes `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:+alt}`,
/// `${NAME+alt}` from global ARG defaults. Unresolvable references are left in place; returns
/// the text and whether everything was resolved.
pub(crate) fn expand_args(text: &str, args: &BTreeMap<String, Option<String>>) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut all = true;
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, op, word, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => {
                    let body = &inner[..end];
                    let name_len = body
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(body.len());
                    let (name, tail) = body.split_at(name_len);
                    let (op, word) = ["-", ":-", "+", ":+"]
                        .iter()
                        .filter_map(|op| tail.strip_prefix(op).map(|w| (*op, w)))
                        .max_by_key(|(op, _)| op.len())
                        .unwrap_or(("", tail));
                    (name, op, word, end + 2)
                }
                None => ("", "", "", 0),
            }
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..n], "", "", n)
        };
        if name.is_empty() || (op.is_empty() && !word.is_empty()) {
            // Not a reference we understand: keep the `$` literally.
            out.push('$');
            all = false;
            rest = after;
            continue;
        }
        let value = args.get(name).cloned().flatten();
        let set = value.as_deref().is_some_and(|v| !v.is_empty());
        let declared_set = value.is_some();
        let original = &rest[pos..pos + 1 + consumed];
        match op {
            "" => match value {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str(original);
                    all = false;
                }
            },
            ":-" | "-" => {
                let use_value = if op == ":-" { set } else { declared_set };
                match value {
                    Some(v) if use_value => out.push_str(&v),
                    _ => out.push_str(word),
                }
            }
            _ => {
                let use_alt = if op == ":+" { set } else { declared_set };
                if use_alt {
                    out.push_str(word);
                }
            }
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    (out, all)
}

fn new_stage(
    ins: &Instruction,
    index: usize,
    global: &BTreeMap<String, Option<String>>,
    stages: &[Stage],
    types: &BaseImageTypes,
) -> Stage {
    let text = ins.args.first().cloned().unwrap_or_default();
    let name = match ins.args.get(1) {
        Some(kw) if kw.eq_ignore_ascii_case("as") => {
            ins.args.get(2).map(|n| n.to_ascii_lowercase())
        }
        _ => None,
    };
    let resolved = if text.contains('$') {
        expand_args(&text, global).0
    } else {
        text.clone()
    };
    let mut base = BaseImage {
        text,
        resolved,
        registry: None,
        namespace: None,
        name: None,
        tag: None,
        digest: None,
        official: None,
        variable: false,
        stage: None,
        tag_status: TagStatus::None,
    };
    let mut base_type = None;
    // A disjoint borrow of one field: the other fields are filled in below.
    let resolved: &str = &base.resolved;
    if let Some(i) = stage_index_by_name(resolved, stages) {
        base.stage = Some(i);
    } else {
        // The name part (before the tag) decides whether the image itself is unresolved.
        let repo_part = resolved
            .split('@')
            .next()
            .map(|s| match (s.rfind(':'), s.rfind('/')) {
                (Some(c), Some(sl)) if c > sl => &s[..c],
                (Some(c), None) => &s[..c],
                _ => s,
            })
            .unwrap_or("");
        if repo_part.contains('$') || resolved.is_empty() {
            base.variable = true;
            base_type = Some(VARIABLE.to_string());
        } else if let Ok(r) = parse_image_reference(resolved) {
            base_type = types.classify(&r).map(str::to_string);
            base.official = Some(r.is_official());
            base.tag_status = if r.name == "scratch" && r.namespace.is_none() {
                TagStatus::None
            } else if r.digest.is_some() {
                TagStatus::Digest
            } else {
                match r.tag.as_deref() {
                    None => TagStatus::Untagged,
                    Some("latest") => TagStatus::Latest,
                    Some(t) if t.contains('$') => TagStatus::Variable,
                    Some(_) => TagStatus::Tagged,
                }
            };
            base.registry = r.registry;
            base.namespace = r.namespace;
            base.name = Some(r.name);
            base.tag = r.tag;
            base.digest = r.digest;
        }
    }
    Stage {
        index,
        name,
        line: ins.line,
        base,
        platform: ins.flag("platform").map(str::to_string),
        base_type,
        instructions: 1,
        run_categories: empty_categories(),
        user: None,
    }
}

fn stage_index_by_name(reference: &str, stages: &[Stage]) -> Option<usize> {
    stages.iter().position(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(reference))
    })
}

/// Adds one to `map[key]`, allocating the key only when it is new.
fn increment(map: &mut Counts, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(Cow::Owned(key.to_string()), 1);
        }
    }
}

/// Adds one to `map[key]` for a static key (no allocation).
fn increment_static(map: &mut Counts, key: &'static str) {
    *map.entry(Cow::Borrowed(key)).or_insert(0) += 1;
}

fn count_word(a: &mut Analysis, tally: &mut Tally, word: &str) {
    let slot = match run::category_index(word) {
        Some(i) => i,
        None => {
            increment(&mut a.run_unknown_words, word);
            run::CATEGORIES.len()
        }
    };
    tally.all[slot] += 1;
    tally.stage[slot] += 1;
    a.run.commands += 1;
}

fn measure_run(a: &mut Analysis, ins: &Instruction, state: &StageState, tally: &mut Tally) {
    a.run.instructions += 1;
    let mounts: Vec<&str> = ins
        .flags
        .iter()
        .filter_map(|f| f.strip_prefix("--mount="))
        .collect();
    if ins.flag("mount").is_some() {
        a.run.mount += 1;
        a.uses_mount = true;
    }
    let cache_on = |path: &str| {
        mounts
            .iter()
            .any(|m| m.contains("type=cache") && m.contains(path))
    };
    match ins.form {
        Form::Json => {
            a.run.exec_form += 1;
            if let Some(first) = ins.args.first() {
                count_word(a, tally, first);
            }
        }
        Form::Shell | Form::Heredoc => {
            let line = ins.args.first().map(String::as_str).unwrap_or("");
            // The scripts: the line itself, or the here-document bodies (no Vec: this runs for
            // every RUN).
            let mut bodies: &[crate::parser::Heredoc] = &[];
            let mut on_line = true;
            if ins.form == Form::Heredoc {
                a.run.heredoc += 1;
                // `RUN <<EOF` (only heredoc markers): the bodies are the scripts. Otherwise the
                // bodies are input to the command on the line.
                let only_markers = line.split_whitespace().all(|w| {
                    let w = w.trim_start_matches(|c: char| c.is_ascii_digit());
                    w.starts_with("<<")
                });
                if only_markers {
                    bodies = &ins.heredocs;
                    on_line = false;
                }
            }
            let scripts = on_line
                .then_some(line)
                .into_iter()
                .chain(bodies.iter().map(|doc| doc.content.as_str()));
            let mut apt_install_line = false;
            let mut apt_lists_cleaned = false;
            for script in scripts {
                if let Some(interpreter) = non_shell_shebang(script) {
                    count_word(a, tally, interpreter);
                    continue;
                }
                for command in run::Commands::new(script) {
                    let Some(word) = run::first_word(command) else {
                        continue;
                    };
                    count_word(a, tally, &word);
                    let tool = match &word[..] {
                        "apt-get" | "apt" => run::Tool::Apt,
                        "rm" => run::Tool::Rm,
                        w if w.starts_with("pip") => run::Tool::Pip,
                        w if w.starts_with("python") => run::Tool::Python,
                        _ => continue,
                    };
                    let facts = run::word_facts_for(command, tool);
                    if matches!(&word[..], "apt-get" | "apt") && facts.install {
                        apt_install_line = true;
                        if !facts.no_install_recommends {
                            a.hygiene.push(Finding {
                                rule: Cow::Borrowed("apt-install-recommends"),
                                line: ins.line,
                                message: Cow::Borrowed(
                                    "apt install without --no-install-recommends pulls in \
                                     recommended packages",
                                ),
                            });
                        }
                    }
                    if word == "rm" && facts.apt_lists_path {
                        apt_lists_cleaned = true;
                    }
                    let pip = word.starts_with("pip")
                        && word[3..].bytes().all(|b| b.is_ascii_digit() || b == b'.');
                    let python_m_pip = word.starts_with("python") && facts.m_pip;
                    if (pip || python_m_pip)
                        && facts.install
                        && !facts.no_cache_dir
                        && !state.pip_no_cache_env
                        && !cache_on("/root/.cache/pip")
                    {
                        a.hygiene.push(Finding {
                            rule: Cow::Borrowed("pip-cache"),
                            line: ins.line,
                            message: Cow::Borrowed(
                                "pip install without --no-cache-dir keeps the download cache in \
                                 the image",
                            ),
                        });
                    }
                }
            }
            if apt_install_line
                && !apt_lists_cleaned
                && !cache_on("/var/lib/apt")
                && !cache_on("/var/cache/apt")
            {
                a.hygiene.push(Finding {
                    rule: Cow::Borrowed("apt-lists-not-cleaned"),
                    line: ins.line,
                    message: Cow::Borrowed(
                        "apt package lists are not removed in the same RUN \
                         (rm -rf /var/lib/apt/lists/*)",
                    ),
                });
            }
        }
    }
}

/// The interpreter of a script whose `#!` line names something other than a POSIX shell.
fn non_shell_shebang(script: &str) -> Option<&str> {
    // Check the prefix before looking for the end of the first line (most scripts have none).
    let first = script.strip_prefix("#!")?.lines().next()?;
    let mut parts = first.split_whitespace();
    let mut prog = parts.next()?;
    if prog.ends_with("/env") {
        prog = parts.find(|p| !p.starts_with('-'))?;
    }
    let base = prog.rsplit('/').next().unwrap_or(prog);
    (!matches!(base, "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh")).then_some(base)
}

fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("git@")
}

fn is_local_archive(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    [
        ".tar",
        ".tar.gz",
        ".tgz",
        ".tar.bz2",
        ".tbz2",
        ".tbz",
        ".tar.xz",
        ".txz",
        ".tar.zst",
        ".tzst",
        ".tar.lz",
        ".tar.lzma",
    ]
    .iter()
    .any(|ext| l.ends_with(ext))
}

fn measure_add(a: &mut Analysis, ins: &Instruction) {
    let sources: &[String] = match ins.args.split_last() {
        Some((_, srcs)) => srcs,
        None => return,
    };
    let mut needs_add = ins.form == Form::Heredoc || ins.flag("checksum").is_some();
    for s in sources {
        if is_url(s) || s.ends_with(".git") {
            a.add_urls.push(Located {
                line: ins.line,
                value: s.clone(),
            });
            needs_add = true;
        } else if is_local_archive(s) || s.contains('$') {
            needs_add = true;
        }
    }
    if !needs_add {
        a.hygiene.push(Finding {
            rule: Cow::Borrowed("add-instead-of-copy"),
            line: ins.line,
            message: Cow::Borrowed(
                "ADD of local files that are not archives: COPY does the same, more predictably",
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn arg_expansion() {
        let a = args(&[
            ("BASE", Some("python")),
            ("TAG", Some("3.11")),
            ("EMPTY", Some("")),
            ("NODEF", None),
        ]);
        assert_eq!(
            expand_args("${BASE}:$TAG", &a),
            ("python:3.11".to_string(), true)
        );
        assert_eq!(expand_args("${NODEF}", &a), ("${NODEF}".to_string(), false));
        assert_eq!(
            expand_args("${UNKNOWN:-ubuntu}", &a),
            ("ubuntu".to_string(), true)
        );
        assert_eq!(expand_args("${EMPTY:-x}", &a), ("x".to_string(), true));
        assert_eq!(expand_args("${EMPTY-x}", &a), ("".to_string(), true));
        assert_eq!(
            expand_args("a${TAG:+-slim}", &a),
            ("a-slim".to_string(), true)
        );
        assert!(!expand_args("${BROKEN", &a).1);
        assert_eq!(expand_args("plain", &a), ("plain".to_string(), true));
    }

    #[test]
    fn roots() {
        assert!(is_root("root"));
        assert!(is_root("0:0"));
        assert!(!is_root("1000"));
        assert!(!is_root("app:app"));
    }
}
