//! What an operation may ask of the machine besides the study: the secrets kept in the OS
//! keyring and the process environment. A trait, so that a shell (or a test) decides where
//! secrets live; [`SystemEnv`] is the real one.

use super::error::{ApiError, ApiResult, ErrorKind};

/// The keyring entry of the GitHub token.
pub const GITHUB_TOKEN_SECRET: &str = "github-token";

/// Secrets and environment variables, as an operation sees them.
pub trait Env: Send + Sync {
    /// The secret kept under `name`, if any.
    fn secret(&self, name: &str) -> ApiResult<Option<String>>;
    /// Keeps `value` under `name` (replacing what was kept).
    fn keep_secret(&self, name: &str, value: &str) -> ApiResult<()>;
    /// Removes the secret `name`; whether there was one.
    fn forget_secret(&self, name: &str) -> ApiResult<bool>;
    /// An environment variable, when set and not blank.
    fn var(&self, name: &str) -> Option<String>;
}

/// The OS keyring (the `keyring` crate: the kernel's keyutils on Linux, which works without a
/// desktop session; Keychain on macOS; Credential Manager on Windows) and the process
/// environment. The keyring service is `codebench`, or `$CODEBENCH_KEYRING_SERVICE` (tests
/// use their own).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemEnv;

impl SystemEnv {
    fn entry(name: &str) -> ApiResult<keyring::Entry> {
        let service = std::env::var("CODEBENCH_KEYRING_SERVICE")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "codebench".to_string());
        keyring::Entry::new(&service, name).map_err(keyring_error)
    }
}

fn keyring_error(e: keyring::Error) -> ApiError {
    ApiError::new(ErrorKind::Io, format!("the OS keyring: {e}"))
}

impl Env for SystemEnv {
    fn secret(&self, name: &str) -> ApiResult<Option<String>> {
        match Self::entry(name)?.get_password() {
            Ok(t) => Ok(Some(t)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn keep_secret(&self, name: &str, value: &str) -> ApiResult<()> {
        Self::entry(name)?.set_password(value).map_err(|e| {
            ApiError::new(
                ErrorKind::Io,
                format!(
                    "the OS keyring could not keep the token ({e}); this session may have no keyring (on Linux, a login session's kernel keyring): type the token for each import, or set $GITHUB_TOKEN"
                ),
            )
        })
    }

    fn forget_secret(&self, name: &str) -> ApiResult<bool> {
        match Self::entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}
