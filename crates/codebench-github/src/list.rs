//! Repository lists: a text file (one `owner/name` or GitHub URL per line) or a CSV with a
//! column naming the repositories, such as the EASE 2022 study's `manual-labeling.csv`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::image_ref::{normalize_reference, ImageRef, RefSource};

/// Lists larger than this are refused rather than read into memory.
pub const MAX_LIST_BYTES: u64 = 64 * 1024 * 1024;

/// CSV column names that hold the repository, in order of preference (matched ignoring case).
const REPO_COLUMNS: [&str; 3] = ["repos", "repo", "full_name"];

/// One repository named by a list, with the line it came from so errors and reports can point
/// back at the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// `owner/name` as written (GitHub URLs reduced to it).
    pub full_name: String,
    /// An image reference from the CSV's optional `image` column.
    pub image: Option<String>,
    /// 1-based line in the list file where the entry starts.
    pub line: u64,
}

impl ListEntry {
    /// The list's `image` cell as a Docker Hub [`ImageRef`] (found in "list"), if it names one.
    pub fn image_ref(&self) -> Option<ImageRef> {
        let reference = normalize_reference(self.image.as_deref()?)?;
        Some(ImageRef {
            reference,
            found_in: "list".to_string(),
            how: RefSource::List,
        })
    }
}

/// Why a repository list could not be read; every variant names the file, and line-level
/// problems name the line.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The file could not be opened or read.
    #[error("cannot read repository list {path}: {source}")]
    Io {
        /// The list file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_LIST_BYTES`].
    #[error("repository list {path} is larger than {MAX_LIST_BYTES} bytes")]
    TooLarge {
        /// The list file.
        path: PathBuf,
    },
    /// A CSV list without a column naming repositories.
    #[error(
        "{path}: the CSV has no column named repo, repos, Repos or full_name (columns: {columns})"
    )]
    NoRepoColumn {
        /// The list file.
        path: PathBuf,
        /// The header cells found, comma-separated.
        columns: String,
    },
    /// A line that is not a repository name or is malformed CSV.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The list file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
}

/// Reads a repository list: CSV when the file ends in `.csv` or its first line is a CSV header
/// with a repository column, otherwise text with one `owner/name` or GitHub URL per line
/// (blank lines and `#` comments skipped).
///
/// A UTF-8 byte-order mark and blank CSV rows are ignored. Repeated repositories (GitHub names
/// are case-insensitive) are kept once, at their first line.
pub fn read_repo_list(path: &Path) -> Result<Vec<ListEntry>, ListError> {
    let io_err = |source| ListError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io_err)?.len();
    if len > MAX_LIST_BYTES {
        return Err(ListError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let bytes = std::fs::read(path).map_err(io_err)?;
    parse_repo_list(path, &bytes)
}

/// [`read_repo_list`] on bytes already in memory; `path` is used in messages and to tell CSV
/// from text.
pub fn parse_repo_list(path: &Path, bytes: &[u8]) -> Result<Vec<ListEntry>, ListError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        || first_line_is_csv_header(bytes);
    let entries = if is_csv {
        parse_csv(path, bytes)?
    } else {
        parse_text(path, bytes)?
    };
    let mut seen = HashSet::new();
    Ok(entries
        .into_iter()
        .filter(|e| seen.insert(e.full_name.to_ascii_lowercase()))
        .collect())
}

fn first_line_is_csv_header(bytes: &[u8]) -> bool {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    first.contains(',')
        && first.split(',').any(|cell| {
            let cell = cell.trim().trim_matches('"');
            REPO_COLUMNS.iter().any(|c| cell.eq_ignore_ascii_case(c))
        })
}

fn parse_text(path: &Path, bytes: &[u8]) -> Result<Vec<ListEntry>, ListError> {
    let mut out = Vec::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index as u64 + 1;
        let err = |message: String| ListError::Line {
            path: path.to_path_buf(),
            line,
            message,
        };
        let text = std::str::from_utf8(raw).map_err(|_| err("not valid UTF-8".into()))?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let full_name = parse_repo_name(text).map_err(err)?;
        out.push(ListEntry {
            full_name,
            image: None,
            line,
        });
    }
    Ok(out)
}

fn parse_csv(path: &Path, bytes: &[u8]) -> Result<Vec<ListEntry>, ListError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let line_err = |line: u64, message: String| ListError::Line {
        path: path.to_path_buf(),
        line,
        message,
    };
    let headers = reader
        .byte_headers()
        .map_err(|e| line_err(1, format!("malformed CSV header: {e}")))?
        .clone();
    let header_text: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let repo_col = REPO_COLUMNS
        .iter()
        .find_map(|want| {
            header_text
                .iter()
                .position(|h| h.eq_ignore_ascii_case(want))
        })
        .ok_or_else(|| ListError::NoRepoColumn {
            path: path.to_path_buf(),
            columns: header_text.join(", "),
        })?;
    let image_col = header_text
        .iter()
        .position(|h| h.eq_ignore_ascii_case("image"));

    // csv's own line numbers skip blank lines and miscount CRLF; count from byte offsets.
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at = |offset: u64| -> u64 {
        let mut start = usize::try_from(offset)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        newlines.partition_point(|&n| n < start) as u64 + 1
    };
    let mut out = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, |p| line_at(p.byte()));
            line_err(line, format!("malformed CSV: {e}"))
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let cell = |col: usize| -> Result<Option<&str>, ListError> {
            match record.get(col) {
                None => Ok(None),
                Some(raw) => std::str::from_utf8(raw)
                    .map(|s| Some(s.trim()).filter(|s| !s.is_empty()))
                    .map_err(|_| line_err(line, format!("column {} is not valid UTF-8", col + 1))),
            }
        };
        let Some(repo) = cell(repo_col)? else {
            continue; // blank row
        };
        let full_name = parse_repo_name(repo)
            .map_err(|m| line_err(line, format!("column {}: {m}", header_text[repo_col])))?;
        let image = match image_col {
            Some(col) => cell(col)?.map(str::to_string),
            None => None,
        };
        out.push(ListEntry {
            full_name,
            image,
            line,
        });
    }
    Ok(out)
}

/// Reduces `owner/name` or a GitHub URL (`https://github.com/o/n`, `github.com/o/n.git`,
/// `git@github.com:o/n.git`, with or without a trailing path such as `/tree/main`) to
/// `owner/name`, checking both parts against GitHub's character rules.
pub fn parse_repo_name(input: &str) -> Result<String, String> {
    let s = input.trim();
    let rest = if let Some(r) = s.strip_prefix("git@github.com:") {
        r
    } else {
        let no_scheme = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        let no_www = no_scheme.strip_prefix("www.").unwrap_or(no_scheme);
        match no_www.strip_prefix("github.com/") {
            Some(r) => r,
            None if no_scheme.len() != s.len() => {
                return Err(format!("{input:?} is not a github.com URL"));
            }
            None => s,
        }
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let mut parts = rest.split('/').filter(|p| !p.is_empty());
    let (Some(owner), Some(name)) = (parts.next(), parts.next()) else {
        return Err(format!("{input:?} is not owner/name or a GitHub URL"));
    };
    if !s.contains("://") && !s.starts_with("github.com/") && !s.starts_with("www.github.com/") {
        // A bare name must be exactly owner/name.
        if !s.starts_with("git@") && parts.next().is_some() {
            return Err(format!("{input:?} has more than owner/name"));
        }
    }
    let name = name.strip_suffix(".git").unwrap_or(name);
    let owner_ok = (1..=39).contains(&owner.len())
        && owner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !owner_ok {
        return Err(format!("{owner:?} is not a valid GitHub owner"));
    }
    let name_ok = (1..=100).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err(format!("{name:?} is not a valid GitHub repository name"));
    }
    Ok(format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_urls() {
        for ok in [
            "esmBot/esmBot",
            " esmBot/esmBot ",
            "https://github.com/esmBot/esmBot",
            "https://github.com/esmBot/esmBot/",
            "http://www.github.com/esmBot/esmBot.git",
            "github.com/esmBot/esmBot/tree/master/docker",
            "git@github.com:esmBot/esmBot.git",
            "https://github.com/esmBot/esmBot?tab=readme",
        ] {
            assert_eq!(parse_repo_name(ok).unwrap(), "esmBot/esmBot", "{ok}");
        }
        for bad in [
            "esmBot",
            "a/b/c",
            "https://gitlab.com/a/b",
            "a b/c",
            "o/..",
            "",
            "own/na me",
        ] {
            assert!(parse_repo_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_list_skips_comments_and_names_bad_line() {
        let p = Path::new("repos.txt");
        let ok = parse_repo_list(p, b"# study\n\na/b\nhttps://github.com/c/d\nA/B\n").unwrap();
        assert_eq!(
            ok.iter()
                .map(|e| (e.full_name.as_str(), e.line))
                .collect::<Vec<_>>(),
            [("a/b", 3), ("c/d", 4)]
        );
        let err = parse_repo_list(p, b"a/b\nnot a repo\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "repos.txt:2: \"not a repo\" is not owner/name or a GitHub URL"
        );
    }

    #[test]
    fn csv_with_bom_blank_rows_and_image() {
        let p = Path::new("list.csv");
        let data = "\u{feff}full_name,Image,note\nx/y,xy/app:1.0,\"multi\nline\"\n,,\n\nz/w,,\n";
        let got = parse_repo_list(p, data.as_bytes()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].full_name, "x/y");
        assert_eq!(got[0].image.as_deref(), Some("xy/app:1.0"));
        assert_eq!(got[0].image_ref().unwrap().reference, "xy/app:1.0");
        assert_eq!((got[1].full_name.as_str(), got[1].line), ("z/w", 6));
        assert_eq!(got[1].image, None);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let p = Path::new("list.csv");
        let err = parse_repo_list(p, b"Repos\na/b\nbad name\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "list.csv:3: column Repos: \"bad name\" is not owner/name or a GitHub URL"
        );
        let err = parse_repo_list(p, b"name,url\na,b\n").unwrap_err();
        assert!(matches!(err, ListError::NoRepoColumn { .. }), "{err}");
        let err = parse_repo_list(p, b"repo\na/b\n\xff\xfe/x\n").unwrap_err();
        assert_eq!(err.to_string(), "list.csv:3: column 1 is not valid UTF-8");
    }

    #[test]
    fn csv_detected_without_extension() {
        let got = parse_repo_list(Path::new("list"), b"repo,x\na/b,1\n").unwrap();
        assert_eq!(got[0].full_name, "a/b");
    }

    #[test]
    fn ease2022_manual_labeling_reads_as_is() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/ease2022/manual-labeling.csv");
        if !path.exists() {
            eprintln!("SKIP: {} is absent", path.display());
            return;
        }
        let got = read_repo_list(&path).unwrap();
        assert_eq!(got.len(), 406);
        assert_eq!(got[0].full_name, "esmBot/esmBot");
        assert_eq!(got[0].line, 2);
    }
}
