//! The navigation guard: the webview shows the app's own pages and nothing else. A README link
//! that somehow escaped the UI's click handler, a `<meta refresh>`, or a script (none should
//! run) cannot take the window to another site.

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Url};

/// Whether `url` is one of the app's own pages (the bundled front end).
pub fn is_app_url(url: &Url) -> bool {
    match url.scheme() {
        // Linux and macOS serve the front end from `tauri://localhost`.
        "tauri" => url.host_str() == Some("localhost"),
        // Windows and Android serve it from `http(s)://tauri.localhost`.
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// A plugin that refuses every navigation to a URL that is not the app's own.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = is_app_url(url);
            if !allowed {
                eprintln!("codebench-app: blocked navigation to {url}");
            }
            allowed
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str) -> bool {
        is_app_url(&Url::parse(url).unwrap())
    }

    #[test]
    fn only_app_pages_are_allowed() {
        assert!(allowed("tauri://localhost/"));
        assert!(allowed("tauri://localhost/index.html#x"));
        assert!(allowed("http://tauri.localhost/"));
        assert!(!allowed("https://example.invalid/"));
        assert!(!allowed("http://localhost:1420/"));
        assert!(!allowed("tauri://evil.example/"));
        assert!(!allowed("http://tauri.localhost.evil.example/"));
        assert!(!allowed("javascript:alert(1)"));
        assert!(!allowed("data:text/html,<script>alert(1)</script>"));
        assert!(!allowed("file:///etc/passwd"));
        assert!(!allowed("about:blank"));
    }
}
