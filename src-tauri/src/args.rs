//! The command line of the desktop app, parsed by hand: two options do not need clap.

use std::ffi::OsString;
use std::path::PathBuf;

/// What `--help` prints, and what a usage error is followed by.
pub const USAGE: &str = "usage: codebench-app [--study FILE | FILE] [--open UNIT]

  --study FILE   the study to open (default: the sample study in the app's data folder,
                 created on first run); a bare FILE is the same (a *.codebench opened from
                 the file manager arrives that way)
  --open UNIT    open the coding screen on this unit (owner/name or owner/name:path/to/Dockerfile)
  -h, --help     show this help
  -V, --version  print the version";

/// The app's options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// The study file; `None` means the sample study in the app data folder.
    pub study: Option<PathBuf>,
    /// The unit to open first.
    pub open: Option<String>,
}

/// The outcome of parsing: run with options, or show the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Start the app.
    Run(Args),
    /// `--help` was asked for.
    Help,
    /// `--version` was asked for.
    Version,
}

impl Args {
    /// Parses the arguments after the program name. Accepts `--study FILE`, `--study=FILE`,
    /// one bare `FILE` (what the desktop entry's `%f` passes for a double-clicked study),
    /// `--open UNIT`, `--open=UNIT`, `-h`/`--help` and `-V`/`--version`; anything else is a
    /// usage error whose message names the argument.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
        let mut out = Args::default();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let text = arg
                .to_str()
                .ok_or_else(|| format!("argument {arg:?} is not valid UTF-8"))?
                .to_string();
            let (name, inline) = match text.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (text.clone(), None),
            };
            match name.as_str() {
                "-h" | "--help" => return Ok(Parsed::Help),
                "-V" | "--version" => return Ok(Parsed::Version),
                "--study" | "--open" => {
                    let value = match inline {
                        Some(v) => OsString::from(v),
                        None => it.next().ok_or_else(|| format!("{name} needs a value"))?,
                    };
                    if value.is_empty() {
                        return Err(format!("{name} needs a non-empty value"));
                    }
                    if name == "--study" {
                        if out.study.is_some() {
                            return Err("--study given twice".into());
                        }
                        out.study = Some(PathBuf::from(value));
                    } else {
                        if out.open.is_some() {
                            return Err("--open given twice".into());
                        }
                        let unit = value
                            .into_string()
                            .map_err(|v| format!("--open {v:?} is not valid UTF-8"))?;
                        out.open = Some(unit);
                    }
                }
                _ if !text.starts_with('-') => {
                    if out.study.is_some() {
                        return Err(format!(
                            "unexpected argument '{text}': the study is already given"
                        ));
                    }
                    out.study = Some(PathBuf::from(arg));
                }
                _ => return Err(format!("unexpected argument '{text}'")),
            }
        }
        Ok(Parsed::Run(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Parsed, String> {
        Args::parse(args.iter().map(OsString::from))
    }

    #[test]
    fn no_arguments_means_the_sample_study() {
        assert_eq!(parse(&[]).unwrap(), Parsed::Run(Args::default()));
    }

    #[test]
    fn both_options_in_both_spellings() {
        let want = Parsed::Run(Args {
            study: Some(PathBuf::from("a b.codebench")),
            open: Some("o/n:docker/Dockerfile".into()),
        });
        assert_eq!(
            parse(&[
                "--study",
                "a b.codebench",
                "--open",
                "o/n:docker/Dockerfile"
            ])
            .unwrap(),
            want
        );
        assert_eq!(
            parse(&["--open=o/n:docker/Dockerfile", "--study=a b.codebench"]).unwrap(),
            want
        );
    }

    #[test]
    fn a_bare_file_is_the_study_as_the_desktop_entry_passes_it() {
        assert_eq!(
            parse(&["/home/r/paper.codebench"]).unwrap(),
            Parsed::Run(Args {
                study: Some(PathBuf::from("/home/r/paper.codebench")),
                open: None,
            })
        );
        assert_eq!(parse(&["--version"]).unwrap(), Parsed::Version);
    }

    #[test]
    fn help() {
        assert_eq!(parse(&["--help"]).unwrap(), Parsed::Help);
        assert_eq!(parse(&["--study", "x", "-h"]).unwrap(), Parsed::Help);
    }

    #[test]
    fn usage_errors_name_the_argument() {
        assert_eq!(parse(&["--study"]).unwrap_err(), "--study needs a value");
        assert_eq!(
            parse(&["--open="]).unwrap_err(),
            "--open needs a non-empty value"
        );
        assert_eq!(
            parse(&["--bogus"]).unwrap_err(),
            "unexpected argument '--bogus'"
        );
        assert_eq!(
            parse(&["a.codebench", "b.codebench"]).unwrap_err(),
            "unexpected argument 'b.codebench': the study is already given"
        );
        assert_eq!(
            parse(&["--study", "a", "b"]).unwrap_err(),
            "unexpected argument 'b': the study is already given"
        );
        assert_eq!(
            parse(&["--study", "a", "--study", "b"]).unwrap_err(),
            "--study given twice"
        );
    }
}
