//! The GitHub token kept in the OS keyring (the `keyring` crate), so a researcher types it
//! once. It never goes into the study file, the app's storage or a log; the UI is only told
//! whether one is kept.

/// The keyring service name of Codebench's entries.
const SERVICE: &str = "codebench";
/// The entry of the GitHub token.
const GITHUB_TOKEN: &str = "github-token";

fn entry() -> Result<keyring::Entry, String> {
    keyring::Entry::new(SERVICE, GITHUB_TOKEN).map_err(|e| format!("the OS keyring: {e}"))
}

/// The GitHub token kept in the keyring, if any.
pub fn github_token() -> Result<Option<String>, String> {
    match entry()?.get_password() {
        Ok(t) => Ok(Some(t)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(format!("the OS keyring: {e}")),
    }
}

/// Keeps `token` in the keyring (replacing one kept before).
pub fn save_github_token(token: &str) -> Result<(), String> {
    entry()?
        .set_password(token)
        .map_err(|e| format!("the OS keyring: {e}"))
}

/// Removes the kept token; true when there was one.
pub fn forget_github_token() -> Result<bool, String> {
    match entry()?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(format!("the OS keyring: {e}")),
    }
}
