//! The mock's reading of a search `q`, written apart from the client's so the two can
//! disagree in a test: free words (matched against name, description and topics) and the
//! qualifiers `topic:`, `created:`, `pushed:` (`a..b`, `a..*`, `*..b`, `>=`, `>`, `<=`, `<`,
//! a bare date), `archived:`, `fork:` (`true`, `only`; forks are left out otherwise, as on
//! GitHub), `stars:` (the same range forms), `language:`, `user:`/`org:` and `in:` (ignored:
//! words match everywhere). Anything else answers 422, as GitHub does.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::mock::fixture::FixtureRepo;

/// Which forks a query shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forks {
    Exclude,
    Include,
    Only,
}

/// An inclusive range; `None` ends are open.
type Range<T> = (Option<T>, Option<T>);

/// A parsed `q`.
#[derive(Debug)]
pub(crate) struct Query {
    words: Vec<String>,
    topics: Vec<String>,
    created: Option<Range<i64>>,
    pushed: Option<Range<i64>>,
    archived: Option<bool>,
    forks: Forks,
    stars: Option<Range<u64>>,
    language: Option<String>,
    owners: Vec<String>,
}

/// Epoch seconds of a date (`YYYY-MM-DD`), a time (`YYYY-MM-DDTHH:MM:SS`, UTC) or RFC 3339;
/// `end` gives a bare date's last second.
fn instant(s: &str, end: bool) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc().timestamp());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let start = d.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
    Some(if end { start + 86_399 } else { start })
}

fn date_range(v: &str) -> Option<Range<i64>> {
    if let Some((a, b)) = v.split_once("..") {
        let a = if a == "*" {
            None
        } else {
            Some(instant(a, false)?)
        };
        let b = if b == "*" {
            None
        } else {
            Some(instant(b, true)?)
        };
        return Some((a, b));
    }
    if let Some(x) = v.strip_prefix(">=") {
        return Some((Some(instant(x, false)?), None));
    }
    if let Some(x) = v.strip_prefix("<=") {
        return Some((None, Some(instant(x, true)?)));
    }
    if let Some(x) = v.strip_prefix('>') {
        return Some((Some(instant(x, true)? + 1), None));
    }
    if let Some(x) = v.strip_prefix('<') {
        return Some((None, Some(instant(x, false)? - 1)));
    }
    Some((Some(instant(v, false)?), Some(instant(v, true)?)))
}

fn number_range(v: &str) -> Option<Range<u64>> {
    let n = |s: &str| s.parse::<u64>().ok();
    if let Some((a, b)) = v.split_once("..") {
        let a = if a == "*" { None } else { Some(n(a)?) };
        let b = if b == "*" { None } else { Some(n(b)?) };
        return Some((a, b));
    }
    if let Some(x) = v.strip_prefix(">=") {
        return Some((Some(n(x)?), None));
    }
    if let Some(x) = v.strip_prefix("<=") {
        return Some((None, Some(n(x)?)));
    }
    if let Some(x) = v.strip_prefix('>') {
        return Some((Some(n(x)?.checked_add(1)?), None));
    }
    if let Some(x) = v.strip_prefix('<') {
        return Some((None, Some(n(x)?.checked_sub(1)?)));
    }
    let x = n(v)?;
    Some((Some(x), Some(x)))
}

fn within<T: PartialOrd>(x: T, (a, b): &Range<T>) -> bool {
    a.as_ref().is_none_or(|a| x >= *a) && b.as_ref().is_none_or(|b| x <= *b)
}

fn boolean(v: &str) -> Option<bool> {
    match v {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Whitespace-separated terms, quoted parts kept whole (quotes removed).
fn terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

impl Query {
    /// Parses `q`, or says (as GitHub's 422 would) what is wrong.
    pub(crate) fn parse(q: &str) -> Result<Query, String> {
        let mut query = Query {
            words: Vec::new(),
            topics: Vec::new(),
            created: None,
            pushed: None,
            archived: None,
            forks: Forks::Exclude,
            stars: None,
            language: None,
            owners: Vec::new(),
        };
        for term in terms(q) {
            let Some((key, value)) = term.split_once(':') else {
                query.words.push(term.to_lowercase());
                continue;
            };
            let bad = || format!("the {key}: qualifier does not accept {value:?}");
            let value_lower = value.to_lowercase();
            match key.to_ascii_lowercase().as_str() {
                "topic" => query.topics.push(value_lower),
                "created" => query.created = Some(date_range(value).ok_or_else(bad)?),
                "pushed" => query.pushed = Some(date_range(value).ok_or_else(bad)?),
                "archived" => query.archived = Some(boolean(&value_lower).ok_or_else(bad)?),
                "fork" => {
                    query.forks = match value_lower.as_str() {
                        "true" => Forks::Include,
                        "only" => Forks::Only,
                        "false" => Forks::Exclude,
                        _ => return Err(bad()),
                    }
                }
                "stars" => query.stars = Some(number_range(value).ok_or_else(bad)?),
                "language" => query.language = Some(value_lower),
                "user" | "org" => query.owners.push(value_lower),
                "in" => {}
                _ => return Err(format!("{key}: is not a qualifier the mock knows")),
            }
        }
        Ok(query)
    }

    /// Whether `repo` matches.
    pub(crate) fn matches(&self, repo: &FixtureRepo) -> bool {
        let time = |s: &str| instant(s, false);
        match self.forks {
            Forks::Exclude if repo.fork => return false,
            Forks::Only if !repo.fork => return false,
            _ => {}
        }
        if self.archived.is_some_and(|a| a != repo.archived) {
            return false;
        }
        let topics: Vec<String> = repo.topics.iter().map(|t| t.to_lowercase()).collect();
        if !self.topics.iter().all(|t| topics.contains(t)) {
            return false;
        }
        if let Some(r) = &self.created {
            if !time(&repo.created_at).is_some_and(|t| within(t, r)) {
                return false;
            }
        }
        if let Some(r) = &self.pushed {
            if !time(&repo.pushed_at).is_some_and(|t| within(t, r)) {
                return false;
            }
        }
        if let Some(r) = &self.stars {
            if !within(repo.stars, r) {
                return false;
            }
        }
        if let Some(l) = &self.language {
            if repo.language.as_ref().map(|x| x.to_lowercase()).as_ref() != Some(l) {
                return false;
            }
        }
        let full = repo.full_name.to_lowercase();
        if !self.owners.is_empty() {
            let owner = full.split('/').next().unwrap_or_default();
            if !self.owners.iter().any(|o| o == owner) {
                return false;
            }
        }
        let text = format!(
            "{full} {} {}",
            repo.description.as_deref().unwrap_or("").to_lowercase(),
            topics.join(" ")
        );
        self.words.iter().all(|w| text.contains(w.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers() {
        let mut r = FixtureRepo::new("lab/x");
        r.topics = vec!["MLOps".into()];
        r.created_at = "2019-03-01T10:00:00Z".into();
        r.stars = 10;
        let yes = |q: &str| Query::parse(q).unwrap().matches(&r);
        assert!(yes("topic:mlops"));
        assert!(yes("topic:mlops created:2019-01-01..2019-06-30"));
        assert!(yes("created:>=2019-03-01T10:00:00Z"));
        assert!(!yes("created:>2019-03-01"));
        assert!(yes("created:<=2019-03-01"));
        assert!(!yes("created:<2019-03-01"));
        assert!(yes("created:2019-03-01"));
        assert!(yes("stars:>=10 stars:<11 archived:false"));
        assert!(!yes("stars:>10"));
        assert!(yes("language:python fictional"));
        assert!(!yes("language:\"Jupyter Notebook\""));
        let mut r = r.clone();
        r.fork = true;
        let yes = |q: &str| Query::parse(q).unwrap().matches(&r);
        assert!(!yes("topic:mlops"));
        assert!(yes("fork:true"));
        assert!(yes("fork:only"));
        assert!(Query::parse("created:yesterday").is_err());
        assert!(Query::parse("stars:many").is_err());
        assert!(Query::parse("frobnicate:1").is_err());
    }
}
