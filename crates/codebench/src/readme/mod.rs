//! READMEs rendered for a rater: Markdown through pulldown-cmark, then sanitised by ammonia.
//! Scripts, event handlers, frames, forms, `javascript:` and `data:` URLs never survive.
//! Relative links point at the repository's files at the pinned commit, relative images at its
//! raw files; other formats are shown as text.

use std::borrow::Cow;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

/// Where relative links and images of a README point.
#[derive(Debug, Clone)]
pub struct LinkBase {
    /// Base for links to files, e.g. `https://github.com/o/n/blob/<sha>/`.
    pub blob: String,
    /// Base for images, e.g. `https://raw.githubusercontent.com/o/n/<sha>/`.
    pub raw: String,
}

impl LinkBase {
    /// The bases of a GitHub repository at a commit (or its default branch when unknown).
    pub fn github(full_name: &str, commit: Option<&str>) -> LinkBase {
        let rev = commit.unwrap_or("HEAD");
        LinkBase {
            blob: format!("https://github.com/{full_name}/blob/{rev}/"),
            raw: format!("https://raw.githubusercontent.com/{full_name}/{rev}/"),
        }
    }
}

/// Renders a README to sanitised HTML. Markdown files (`.md`, `.markdown`, or no extension)
/// are rendered; anything else (e.g. reStructuredText) is shown as preformatted text.
pub fn render(path: &str, text: &str, base: &LinkBase) -> String {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let markdown = name.ends_with(".md") || name.ends_with(".markdown") || !name.contains('.');
    if !markdown {
        return format!(
            "<pre class=\"readme-text\">{}</pre>",
            ammonia::clean_text(text)
        );
    }
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let events = Parser::new_ext(text, opts).map(|ev| match ev {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: resolve(dest_url, &base.blob),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: resolve(dest_url, &base.raw),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    sanitize(&html, base)
}

fn resolve<'a>(url: CowStr<'a>, base: &str) -> CowStr<'a> {
    let u: &str = &url;
    let has_scheme = u.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if u.is_empty() || u.starts_with('#') || u.starts_with("//") || has_scheme {
        return url;
    }
    CowStr::from(format!(
        "{base}{}",
        u.trim_start_matches("./").trim_start_matches('/')
    ))
}

/// Sanitises HTML with ammonia's allow-list: only http(s) and mailto URLs, links marked
/// `noopener noreferrer`, relative URLs left in HTML resolved against the repository: an
/// image's `src` to the raw file (what a browser can show), any other to the file's page.
pub fn sanitize(html: &str, base: &LinkBase) -> String {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("th", ["align"]);
    let raw = base.raw.clone();
    // Runs before `url_relative`, which then sees the image's URL as absolute.
    b.attribute_filter(move |element, attribute, value| {
        if element == "img" && attribute == "src" && is_relative(value) {
            return Some(Cow::Owned(join(&raw, value)));
        }
        Some(Cow::Borrowed(value))
    });
    b.url_relative(ammonia::UrlRelative::Custom(Box::new(RelativeTo(
        base.blob.clone(),
    ))));
    b.clean(html).to_string()
}

/// Whether a URL is relative to the page, as ammonia reads it (no scheme; not a fragment).
fn is_relative(url: &str) -> bool {
    let u = url.trim();
    let has_scheme = u.split_once(':').is_some_and(|(s, _)| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    !u.is_empty() && !u.starts_with('#') && !has_scheme
}

/// A path inside the repository joined to a base that ends in `/`.
fn join(base: &str, url: &str) -> String {
    format!(
        "{base}{}",
        url.trim().trim_start_matches("./").trim_start_matches('/')
    )
}

/// Resolves relative URLs left in raw HTML against a base; fragments stay as they are.
struct RelativeTo(String);

impl ammonia::UrlRelativeEvaluate<'_> for RelativeTo {
    fn evaluate<'u>(&self, url: &'u str) -> Option<Cow<'u, str>> {
        if url.starts_with('#') {
            return Some(Cow::Borrowed(url));
        }
        Some(Cow::Owned(join(&self.0, url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> LinkBase {
        LinkBase::github("o/n", Some("abc"))
    }

    #[test]
    fn hostile_html_is_inert() {
        let md = r#"# Hi

<script>alert(1)</script>

<img src=x onerror="alert(1)">

[click](javascript:alert(1)) and [Click](JaVaScRiPt:alert(1))

<iframe src="https://example.invalid"></iframe>

<svg><script>alert(1)</script></svg>

<a href="data:text/html,<script>alert(1)</script>">d</a>

<form action="https://example.invalid"><input></form>

<div style="position:fixed" onclick="x()">s</div>
"#;
        let html = render("README.md", md, &base()).to_lowercase();
        for bad in [
            "<script",
            "onerror",
            "href=\"javascript",
            "<iframe",
            "<svg",
            "href=\"data:",
            "<form",
            "<input",
            "onclick",
            "style=",
        ] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains("click"), "link text stays: {html}");
        assert!(html.contains("<h1>hi</h1>"));
    }

    #[test]
    fn relative_links_point_at_the_pinned_commit() {
        let html = render(
            "README.md",
            "[doc](docs/x.md) ![p](./img/a.png) [abs](https://e.org/) [top](#usage)",
            &base(),
        );
        assert!(
            html.contains("href=\"https://github.com/o/n/blob/abc/docs/x.md\""),
            "{html}"
        );
        assert!(
            html.contains("src=\"https://raw.githubusercontent.com/o/n/abc/img/a.png\""),
            "{html}"
        );
        assert!(html.contains("href=\"https://e.org/\""), "{html}");
        assert!(html.contains("href=\"#usage\""), "{html}");
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
    }

    #[test]
    fn rst_is_shown_as_text() {
        let html = render("README.rst", "Title\n=====\n<script>x</script>", &base());
        assert!(html.starts_with("<pre"));
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn raw_html_images_point_at_raw_files_and_links_at_pages() {
        let md = r##"<p align="center"><a href="docs/guide.md"><img src="./img/logo.png" alt="logo"></a></p>

<img src="/assets/a.svg"> <img src="https://e.org/b.png"> <a href="#top">top</a> <a href="LICENSE">l</a>
"##;
        let html = render("README.md", md, &base());
        for want in [
            "src=\"https://raw.githubusercontent.com/o/n/abc/img/logo.png\"",
            "src=\"https://raw.githubusercontent.com/o/n/abc/assets/a.svg\"",
            "src=\"https://e.org/b.png\"",
            "href=\"https://github.com/o/n/blob/abc/docs/guide.md\"",
            "href=\"https://github.com/o/n/blob/abc/LICENSE\"",
            "href=\"#top\"",
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
        assert!(!html.contains("blob/abc/img"), "{html}");
    }

    #[test]
    fn huge_table_renders() {
        let mut md = String::from("|a|b|\n|-|-|\n");
        for i in 0..5000 {
            md.push_str(&format!("|{i}|x|\n"));
        }
        let html = render("README.md", &md, &base());
        assert_eq!(html.matches("<tr>").count(), 5001);
    }
}
