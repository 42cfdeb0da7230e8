//! RUN command categories of the study (keyword lists from Cito et al. 2017, FACTS.md): a RUN
//! script is split into commands on `&&`, `||`, `;`, `|` and newlines (outside quotes); each
//! command's first word, after `sudo`, `env` and leading `VAR=value` assignments, picks the
//! category. Words in no list are kept so they can be counted.

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem::Finder;

/// The five categories, in the order of the study.
pub const CATEGORIES: [&str; 5] = [
    "Dependencies",
    "Filesystem",
    "Build/Execute",
    "Environment",
    "Permissions",
];

/// The category name used for first words that are in no list.
pub const UNKNOWN: &str = "Unknown";

/// The study's keyword list for each category (exact, case-sensitive first words).
pub const KEYWORDS: [(&str, &[&str]); 5] = [
    (
        "Dependencies",
        &[
            "apt-get",
            "npm",
            "yum",
            "curl",
            "pip",
            "wget",
            "git",
            "apk",
            "gem",
            "bower",
            "add-apt-repository",
            "dpkg",
            "rpm",
            "bundle",
            "apt-key",
            "pip3",
            "dnf",
            "conda",
            "cabal",
            "easy_install",
            "nvm",
            "lein",
            "composer",
            "mvn",
            "apk-install",
            "apt",
            "pecl",
            "puppet",
            "svn",
            "godep",
        ],
    ),
    (
        "Filesystem",
        &[
            "echo", "mkdir", "rm", "cd", "tar", "sed", "ln", "mv", "cp", "unzip", "pacman",
            "touch", "ls", "cat", "find",
        ],
    ),
    (
        "Build/Execute",
        &[
            "make",
            "go",
            "./configure",
            "/bin/bash",
            "bash",
            "python",
            "service",
            "sh",
            "cmake",
            "install",
            "python3",
        ],
    ),
    ("Environment", &["set", "export", "source", "virtualenv"]),
    (
        "Permissions",
        &[
            "chmod", "chown", "useradd", "groupadd", "adduser", "usermod", "addgroup",
        ],
    ),
];

/// The study category of a command's first word, `None` if it is in no list.
pub fn category_of(word: &str) -> Option<&'static str> {
    category_index(word).map(|i| CATEGORIES[i])
}

/// The index in [`CATEGORIES`] of a command's first word, `None` if it is in no list.
pub(crate) fn category_index(word: &str) -> Option<usize> {
    // A `match` compiles to a length-and-bytes dispatch; a test keeps it equal to KEYWORDS.
    Some(match word {
        "apt-get" | "npm" | "yum" | "curl" | "pip" | "wget" | "git" | "apk" | "gem" | "bower"
        | "add-apt-repository" | "dpkg" | "rpm" | "bundle" | "apt-key" | "pip3" | "dnf"
        | "conda" | "cabal" | "easy_install" | "nvm" | "lein" | "composer" | "mvn"
        | "apk-install" | "apt" | "pecl" | "puppet" | "svn" | "godep" => 0,
        "echo" | "mkdir" | "rm" | "cd" | "tar" | "sed" | "ln" | "mv" | "cp" | "unzip"
        | "pacman" | "touch" | "ls" | "cat" | "find" => 1,
        "make" | "go" | "./configure" | "/bin/bash" | "bash" | "python" | "service" | "sh"
        | "cmake" | "install" | "python3" => 2,
        "set" | "export" | "source" | "virtualenv" => 3,
        "chmod" | "chown" | "useradd" | "groupadd" | "adduser" | "usermod" | "addgroup" => 4,
        _ => return None,
    })
}

/// Bytes that matter to [`split_commands`] outside quotes.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let special = b"\\'\"#&|;\n";
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
};

/// The first position at or after `i` holding a [`SPECIAL`] byte (`b.len()` if none), eight
/// bytes per step where possible (RUN scripts are most of a Dockerfile's bytes).
fn skip_ordinary(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let any = chunk
            .iter()
            .fold(false, |acc, &c| acc | SPECIAL[c as usize]);
        if any {
            break;
        }
        i += 8;
    }
    while i < b.len() && !SPECIAL[b[i] as usize] {
        i += 1;
    }
    i
}

/// Splits a shell script into commands on `&&`, `||`, `;`, `|` and newlines that are not inside
/// quotes or escaped. Empty pieces are dropped.
pub fn split_commands(script: &str) -> Vec<&str> {
    Commands::new(script).collect()
}

/// The commands of a script, as [`split_commands`] finds them, one at a time (no allocation).
pub(crate) struct Commands<'a> {
    script: &'a str,
    start: usize,
    i: usize,
    quote: u8,
    done: bool,
}

impl<'a> Commands<'a> {
    /// Starts splitting `script`.
    pub(crate) fn new(script: &'a str) -> Commands<'a> {
        Commands {
            script,
            start: 0,
            i: 0,
            quote: 0,
            done: false,
        }
    }

    /// The trimmed piece `from..to`, unless it is empty.
    fn piece(&self, from: usize, to: usize) -> Option<&'a str> {
        let piece = crate::words::trim(&self.script[from..to]);
        (!piece.is_empty()).then_some(piece)
    }
}

impl<'a> Iterator for Commands<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.script.as_bytes();
        while !self.done {
            let i = self.i;
            if self.quote == 0 {
                let j = skip_ordinary(b, i);
                self.i = j;
                if j >= b.len() {
                    self.done = true;
                    let start = self.start.min(b.len());
                    return self.piece(start, b.len());
                }
            } else if i >= b.len() {
                self.done = true;
                let start = self.start.min(b.len());
                return self.piece(start, b.len());
            }
            let i = self.i;
            let c = b[i];
            if self.quote != 0 {
                if c == b'\\' && self.quote == b'"' {
                    self.i = i + 2;
                    continue;
                }
                if c == self.quote {
                    self.quote = 0;
                }
                self.i = i + 1;
                continue;
            }
            let (cut, next) = match c {
                b'\\' => {
                    self.i = i + 2;
                    continue;
                }
                b'\'' | b'"' => {
                    self.quote = c;
                    self.i = i + 1;
                    continue;
                }
                b'#' if i == 0 || b[i - 1].is_ascii_whitespace() => {
                    // A shell comment runs to the end of the line.
                    let end = b[i..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(b.len(), |p| i + p);
                    (i, end)
                }
                b'&' if b.get(i + 1) == Some(&b'&') => (i, i + 2),
                b'|' => (i, i + if b.get(i + 1) == Some(&b'|') { 2 } else { 1 }),
                b';' | b'\n' => (i, i + 1),
                _ => {
                    self.i = i + 1;
                    continue;
                }
            };
            let from = self.start;
            self.i = next;
            self.start = next;
            if let Some(p) = self.piece(from, cut) {
                return Some(p);
            }
        }
        None
    }
}

/// Shell words of one command (quotes removed, no expansion). Words without quotes or
/// backslashes are borrowed.
fn words(command: &str) -> impl Iterator<Item = Cow<'_, str>> + '_ {
    let b = command.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        // A trailing backslash or an unclosed quote can step past the end.
        if i >= b.len() {
            return None;
        }
        let start = i;
        let mut plain = true;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            match b[i] {
                q @ (b'\'' | b'"') => {
                    plain = false;
                    i += 1;
                    while i < b.len() && b[i] != q {
                        i += 1;
                    }
                    i += 1;
                }
                b'\\' => {
                    plain = false;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        i = i.min(b.len());
        let raw = &command[start..i];
        Some(if plain {
            Cow::Borrowed(raw)
        } else {
            Cow::Owned(unquote(raw))
        })
    })
}

/// Removes quotes and backslashes from one word.
fn unquote(raw: &str) -> String {
    let mut w = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                    w.push(d);
                }
            }
            '\\' => {
                if let Some(d) = chars.next() {
                    w.push(d);
                }
            }
            c => w.push(c),
        }
    }
    w
}

fn is_assignment(word: &str) -> bool {
    // `NAME=…` with NAME = [A-Za-z_][A-Za-z0-9_]*, checked up to the first `=` in one pass.
    let mut b = word.bytes();
    if !matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_') {
        return false;
    }
    for c in b {
        if c == b'=' {
            return true;
        }
        if !(c.is_ascii_alphanumeric() || c == b'_') {
            return false;
        }
    }
    false
}

/// The first word of a command that names what runs: skips leading `VAR=value`, `sudo` (and its
/// options), `env` (and its options and assignments), grouping `(`/`{`/`!`, and the shell
/// keywords `if`, `elif`, `while`, `until`, `then`, `do`, `else`, `time`. Returns `None` for
/// commands that only close or open a control structure (`fi`, `done`, `esac`, `}`, `)`,
/// `for …`, `case …`).
pub fn first_word(command: &str) -> Option<Cow<'_, str>> {
    let mut it = words(command.trim_start_matches(['(', '{', ' ', '\t']));
    let mut after_sudo = false;
    let mut after_env = false;
    while let Some(w) = it.next() {
        let w = match w {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim_start_matches(['(', '{'])),
            Cow::Owned(o) => Cow::Owned(o.trim_start_matches(['(', '{']).to_string()),
        };
        if w.is_empty() {
            continue;
        }
        if after_sudo && w.starts_with('-') {
            if matches!(
                &w[..],
                "-u" | "-g" | "-U" | "-C" | "-D" | "-h" | "-p" | "-r" | "-t" | "-T"
            ) {
                it.next();
            }
            continue;
        }
        if after_env && (w.starts_with('-') || is_assignment(&w)) {
            if matches!(&w[..], "-u" | "-C" | "-S") {
                it.next();
            }
            continue;
        }
        if is_assignment(&w) {
            continue;
        }
        match &w[..] {
            "sudo" => {
                after_sudo = true;
                continue;
            }
            "env" => {
                after_env = true;
                continue;
            }
            "!" | "if" | "elif" | "while" | "until" | "then" | "do" | "else" | "time" => continue,
            "fi" | "done" | "esac" | "}" | ")" | ";;" | "for" | "case" => return None,
            _ => {}
        }
        if w.trim_end_matches([')', '}']).is_empty() {
            return None;
        }
        return Some(match w {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim_end_matches([')', '}'])),
            Cow::Owned(o) => Cow::Owned(o.trim_end_matches([')', '}']).to_string()),
        });
    }
    None
}

/// First words of every command in a script.
pub fn script_first_words(script: &str) -> impl Iterator<Item = (Cow<'_, str>, &str)> {
    split_commands(script)
        .into_iter()
        .filter_map(|c| first_word(c).map(|w| (w, c)))
}

/// What the hygiene checks need to know about a command's words, found in one pass.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WordFacts {
    /// A word `install`.
    pub install: bool,
    /// `--no-install-recommends`, or an APT option setting Install-Recommends to false.
    pub no_install_recommends: bool,
    /// A word starting with `/var/lib/apt/lists`.
    pub apt_lists_path: bool,
    /// `--no-cache-dir`.
    pub no_cache_dir: bool,
    /// `-m pip`.
    pub m_pip: bool,
}

/// Scans one command for all [`WordFacts`] with word-boundary substring searches (no
/// tokenising: this runs on every package-manager command).
#[cfg(test)]
pub(crate) fn word_facts(command: &str) -> WordFacts {
    word_facts_for(command, Tool::Any)
}

/// Which facts a caller needs (each search costs a pass over the command).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    /// apt / apt-get: `install`, `--no-install-recommends`.
    Apt,
    /// rm: the apt lists path.
    Rm,
    /// pip: `install`, `--no-cache-dir`.
    Pip,
    /// python: `-m pip` first, then as pip.
    Python,
    /// Everything.
    Any,
}

/// [`word_facts`] limited to what `tool` needs; the other facts stay false.
pub(crate) fn word_facts_for(command: &str, tool: Tool) -> WordFacts {
    let b = command.as_bytes();
    let mut f = WordFacts::default();
    let any = tool == Tool::Any;
    let n = &*NEEDLES;
    if any || tool == Tool::Python {
        f.m_pip = has_word(b, &n.m_pip);
        if !f.m_pip && !any {
            return f;
        }
    }
    if any || tool != Tool::Rm {
        f.install = has_word(b, &n.install);
        if !f.install && !any {
            return f;
        }
    }
    if any || tool == Tool::Apt {
        f.no_install_recommends =
            has_word(b, &n.no_install_recommends) || install_recommends_off(b, &n.recommends);
    }
    if any || tool == Tool::Rm {
        f.apt_lists_path = n.apt_lists.find(b).is_some();
    }
    if any || matches!(tool, Tool::Pip | Tool::Python) {
        f.no_cache_dir = has_word(b, &n.no_cache_dir);
    }
    f
}

/// The words and paths [`word_facts_for`] looks for, as searchers built once (SIMD substring
/// search: these run over every package-manager command).
struct Needles {
    m_pip: Finder<'static>,
    install: Finder<'static>,
    no_install_recommends: Finder<'static>,
    recommends: Finder<'static>,
    apt_lists: Finder<'static>,
    no_cache_dir: Finder<'static>,
}

static NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles {
    m_pip: Finder::new("-m pip"),
    install: Finder::new("install"),
    no_install_recommends: Finder::new("--no-install-recommends"),
    recommends: Finder::new("Install-Recommends="),
    apt_lists: Finder::new("/var/lib/apt/lists"),
    no_cache_dir: Finder::new("--no-cache-dir"),
});

/// Whether the needle of `word` occurs in `text` delimited by white space, quotes or the ends.
fn has_word(text: &[u8], word: &Finder<'_>) -> bool {
    let boundary = |b: Option<&u8>| match b {
        None => true,
        Some(c) => c.is_ascii_whitespace() || matches!(c, b'\'' | b'"'),
    };
    let len = word.needle().len();
    let mut from = 0;
    while let Some(i) = word.find(&text[from..]) {
        let start = from + i;
        let end = start + len;
        if (start == 0 || boundary(text.get(start - 1))) && boundary(text.get(end)) {
            return true;
        }
        from = start + 1;
    }
    false
}

/// Whether `Install-Recommends=false` or `Install-Recommends=0` occurs in `text`.
fn install_recommends_off(text: &[u8], recommends: &Finder<'_>) -> bool {
    let mut from = 0;
    while let Some(i) = recommends.find(&text[from..]) {
        let value = &text[from + i + recommends.needle().len()..];
        if value.starts_with(b"false") || value.starts_with(b"0") {
            return true;
        }
        from += i + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_operators_outside_quotes() {
        assert_eq!(
            split_commands(
                "apt-get update && apt-get install -y x || true; echo 'a && b' | tee f\nls"
            ),
            vec![
                "apt-get update",
                "apt-get install -y x",
                "true",
                "echo 'a && b'",
                "tee f",
                "ls"
            ]
        );
        assert_eq!(
            split_commands("echo \"x;y\" \\; z"),
            vec!["echo \"x;y\" \\; z"]
        );
        assert_eq!(split_commands("a # b && c\nd"), vec!["a", "d"]);
        assert!(split_commands("  ;; \n").is_empty());
    }

    #[test]
    fn first_word_skips_prefixes() {
        assert_eq!(
            first_word("sudo -E -u bob pip install x").as_deref(),
            Some("pip")
        );
        assert_eq!(
            first_word("env -i A=1 B=2 python3 x.py").as_deref(),
            Some("python3")
        );
        assert_eq!(
            first_word("DEBIAN_FRONTEND=noninteractive apt-get install x").as_deref(),
            Some("apt-get")
        );
        assert_eq!(first_word("(cd /src").as_deref(), Some("cd"));
        assert_eq!(first_word("then rm -rf x").as_deref(), Some("rm"));
        assert_eq!(first_word("if [ -f x ]").as_deref(), Some("["));
        assert_eq!(first_word("fi"), None);
        assert_eq!(first_word("for f in *"), None);
        assert_eq!(
            first_word("\"/bin/bash\" -c x").as_deref(),
            Some("/bin/bash")
        );
        assert_eq!(first_word("A=1"), None);
    }

    #[test]
    fn word_facts_respect_word_boundaries() {
        let f = word_facts("apt-get install -y --no-install-recommends x");
        assert!(f.install && f.no_install_recommends && !f.no_cache_dir);
        let g = word_facts("pip reinstall x --no-cache-directory");
        assert!(!g.install && !g.no_cache_dir);
        let h = word_facts("python3 -m pip install 'x' --no-cache-dir");
        assert!(h.install && h.m_pip && h.no_cache_dir);
        assert!(
            word_facts("apt-get -o APT::Install-Recommends=false install x").no_install_recommends
        );
    }

    #[test]
    fn word_facts_recommends_values_and_paths() {
        assert!(word_facts("apt-get -o APT::Install-Recommends=0 install x").no_install_recommends);
        assert!(
            !word_facts("apt-get -o APT::Install-Recommends=true install x").no_install_recommends
        );
        assert!(word_facts("rm -rf /var/lib/apt/lists/*").apt_lists_path);
        assert!(word_facts("install").install && word_facts("'install'").install);
    }

    #[test]
    fn categories_follow_the_study_lists() {
        assert_eq!(category_of("apt-get"), Some("Dependencies"));
        assert_eq!(category_of("pip3"), Some("Dependencies"));
        assert_eq!(category_of("mkdir"), Some("Filesystem"));
        assert_eq!(category_of("./configure"), Some("Build/Execute"));
        assert_eq!(category_of("source"), Some("Environment"));
        assert_eq!(category_of("useradd"), Some("Permissions"));
        assert_eq!(category_of("ldconfig"), None);
        assert_eq!(category_of("APT-GET"), None);
        for (category, words) in KEYWORDS {
            for w in words {
                assert_eq!(category_of(w), Some(category), "{w}");
            }
        }
        let total: usize = KEYWORDS.iter().map(|(_, w)| w.len()).sum();
        assert_eq!(total, 30 + 15 + 11 + 4 + 7);
    }
}

#[cfg(test)]
mod word_edge_tests {
    use super::*;

    /// Found by the fuzzer: a word ending in a backslash, or an unclosed quote, at the very end.
    #[test]
    fn trailing_backslash_and_unclosed_quotes_end_the_words() {
        for cmd in ["\\", "a \\", "echo \"x", "echo 'x", "\\é", "a\\"] {
            let w: Vec<_> = words(cmd).collect();
            assert!(w.len() <= 2, "{cmd:?}: {w:?}");
        }
        let a = crate::analyze(
            "Dockerfile",
            b"FROM alpine\nRUN \\\\\nRUN echo \"unclosed\n",
        );
        assert_eq!(a.stages.len(), 1);
    }
}
