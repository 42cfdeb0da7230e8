//! The search query as text: its terms, its `created:` qualifier taken out and read as a
//! range of instants, [`CreatedRange`] written back as a qualifier, and the request path with
//! `q` percent-encoded.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

/// The timestamp format of `created:` qualifiers and [`CreatedRange`] bounds.
const STAMP: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Characters percent-encoded in `q`: everything but unreserved characters.
const Q_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An inclusive `created:` range to the second, in UTC, written `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreatedRange {
    /// First second included.
    pub from: String,
    /// Last second included.
    pub to: String,
}

impl CreatedRange {
    /// A range from two instants (inclusive).
    pub(super) fn of(from: DateTime<Utc>, to: DateTime<Utc>) -> CreatedRange {
        CreatedRange {
            from: from.format(STAMP).to_string(),
            to: to.format(STAMP).to_string(),
        }
    }

    /// The bounds as instants, or `None` when they are not in the range format.
    fn bounds(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let parse = |s: &str| {
            NaiveDateTime::parse_from_str(s, STAMP)
                .ok()
                .map(|n| n.and_utc())
        };
        Some((parse(&self.from)?, parse(&self.to)?))
    }

    /// The qualifier GitHub reads: `created:FROM..TO`.
    pub fn qualifier(&self) -> String {
        format!("created:{}..{}", self.from, self.to)
    }

    /// Whether `timestamp` (ISO 8601, as GitHub writes `created_at`) falls in the range.
    pub fn contains(&self, timestamp: &str) -> bool {
        match (self.bounds(), parse_instant(timestamp)) {
            (Some((from, to)), Some(t)) => from <= t && t <= to,
            _ => false,
        }
    }
}

/// Reads an ISO 8601 instant as GitHub and users write them: `YYYY-MM-DD` (its first second),
/// `YYYY-MM-DDTHH:MM:SS` (UTC) or RFC 3339 with `Z` or an offset.
pub(super) fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        return Some(t.and_utc());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
}

/// The last second of the bound `s`: the day's last second for a bare date.
pub(super) fn parse_upper(s: &str) -> Option<DateTime<Utc>> {
    let t = parse_instant(s)?;
    if s.trim().len() == 10 {
        Some(t + chrono::Duration::seconds(86_399))
    } else {
        Some(t)
    }
}

/// A `created:` value as an inclusive range; open ends are `None`.
#[allow(clippy::type_complexity)]
pub(super) fn parse_created(value: &str) -> Option<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let one = chrono::Duration::seconds(1);
    if let Some((a, b)) = value.split_once("..") {
        let from = if a == "*" {
            None
        } else {
            Some(parse_instant(a)?)
        };
        let to = if b == "*" {
            None
        } else {
            Some(parse_upper(b)?)
        };
        return Some((from, to));
    }
    if let Some(v) = value.strip_prefix(">=") {
        return Some((Some(parse_instant(v)?), None));
    }
    if let Some(v) = value.strip_prefix("<=") {
        return Some((None, Some(parse_upper(v)?)));
    }
    if let Some(v) = value.strip_prefix('>') {
        return Some((Some(parse_upper(v)? + one), None));
    }
    if let Some(v) = value.strip_prefix('<') {
        return Some((None, Some(parse_instant(v)? - one)));
    }
    Some((Some(parse_instant(value)?), Some(parse_upper(value)?)))
}

/// Splits `q` into terms, keeping quoted parts (`language:"Jupyter Notebook"`) whole.
fn terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The query without its `created:` qualifier, and that qualifier's value.
pub(super) fn split_created(query: &str) -> Result<(String, Option<String>), String> {
    let mut base = Vec::new();
    let mut created = None;
    for term in terms(query) {
        let lower = term.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("created:") {
            if created.is_some() {
                return Err("more than one created: qualifier".into());
            }
            created = Some(value.trim_matches('"').to_string());
        } else {
            base.push(term);
        }
    }
    Ok((base.join(" "), created))
}

/// `base` with `qualifier` appended.
pub(super) fn with_qualifier(base: &str, qualifier: &str) -> String {
    if base.is_empty() {
        qualifier.to_string()
    } else {
        format!("{base} {qualifier}")
    }
}

pub(super) fn search_path(q: &str, per_page: u64, page: u64) -> String {
    format!(
        "/search/repositories?q={}&per_page={per_page}&page={page}",
        utf8_percent_encode(q, Q_ENCODE)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    #[test]
    fn created_values() {
        let (a, b) = parse_created("2019-01-01..2019-06-30").unwrap();
        assert_eq!(a, Some(t("2019-01-01T00:00:00Z")));
        assert_eq!(b, Some(t("2019-06-30T23:59:59Z")));
        assert_eq!(
            parse_created(">=2020-01-01").unwrap(),
            (Some(t("2020-01-01T00:00:00Z")), None)
        );
        assert_eq!(
            parse_created("<2020-01-01").unwrap(),
            (None, Some(t("2019-12-31T23:59:59Z")))
        );
        assert_eq!(
            parse_created(">2020-01-01").unwrap(),
            (Some(t("2020-01-02T00:00:00Z")), None)
        );
        assert_eq!(
            parse_created("2016-03-21T14:11:00Z..*").unwrap(),
            (Some(t("2016-03-21T14:11:00Z")), None)
        );
        assert_eq!(
            parse_created("2017-01-01T01:00:00+07:00..2017-01-01T02:00:00+07:00").unwrap(),
            (
                Some(t("2016-12-31T18:00:00Z")),
                Some(t("2016-12-31T19:00:00Z"))
            )
        );
        assert!(parse_created("yesterday").is_none());
        assert!(parse_created("2019-13-01").is_none());
    }

    #[test]
    fn created_is_taken_out_of_the_query() {
        let (base, c) =
            split_created("topic:mlops  created:>=2020-01-01 language:\"Jupyter Notebook\"")
                .unwrap();
        assert_eq!(base, "topic:mlops language:\"Jupyter Notebook\"");
        assert_eq!(c.as_deref(), Some(">=2020-01-01"));
        assert!(split_created("created:2019 created:2020").is_err());
    }

    #[test]
    fn q_is_percent_encoded() {
        assert_eq!(
            search_path("topic:x stars:>=10", 100, 2),
            "/search/repositories?q=topic%3Ax%20stars%3A%3E%3D10&per_page=100&page=2"
        );
    }

    #[test]
    fn ranges_round_trip() {
        let r = CreatedRange::of(t("2019-01-01T00:00:00Z"), t("2019-06-30T23:59:59Z"));
        assert_eq!(
            r.qualifier(),
            "created:2019-01-01T00:00:00Z..2019-06-30T23:59:59Z"
        );
        assert!(r.contains("2019-03-01T10:00:00Z"));
        assert!(r.contains("2019-06-30T23:59:59Z"));
        assert!(!r.contains("2019-07-01T00:00:00Z"));
        assert!(!r.contains("garbage"));
    }
}
