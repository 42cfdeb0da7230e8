//! The filter's tests: criteria read and write as recorded, and the search's answer decides
//! the criteria that ask nothing more.

use super::*;

#[test]
fn criteria_read_and_write_as_recorded() {
    let c: Criterion = serde_json::from_str(r#"{"criterion":"min_commits","min":100}"#).unwrap();
    assert_eq!(c, Criterion::MinCommits { min: 100 });
    assert_eq!(
        serde_json::to_string(&Criterion::NotFork).unwrap(),
        r#"{"criterion":"not_fork"}"#
    );
    assert_eq!(
        Criterion::MinReleases { min: 1 }.label(),
        "at least 1 release"
    );
    assert!(Criterion::PushedAfter {
        date: "2021-13-01".into()
    }
    .validate()
    .is_err());
    assert!(Criterion::Language {
        language: " ".into()
    }
    .validate()
    .is_err());
}

#[test]
fn search_answers_decide_the_cheap_criteria() {
    let c = Candidate {
        repo_id: 1,
        full_name: "a/b".into(),
        created_at: Some("2019-01-01T00:00:00Z".into()),
        pushed_at: Some("2021-06-01T12:00:00Z".into()),
        stars: 10,
        fork: true,
        archived: false,
        language: Some("Jupyter Notebook".into()),
        default_branch: Some("main".into()),
        topics: vec![],
        description: None,
        html_url: String::new(),
    };
    assert_eq!(Criterion::NotArchived.leaves_out(&c), None);
    assert_eq!(Criterion::NotFork.leaves_out(&c).as_deref(), Some("a fork"));
    assert!(Criterion::MinStars { min: 11 }.leaves_out(&c).is_some());
    assert!(Criterion::MinStars { min: 10 }.leaves_out(&c).is_none());
    let after = |d: &str| Criterion::PushedAfter { date: d.into() }.leaves_out(&c);
    assert!(after("2021-05-31").is_none());
    assert!(
        after("2021-06-01").is_some(),
        "a bare date means after that day"
    );
    assert!(after("2021-06-01T11:59:59Z").is_none());
    let lang = |l: &str| Criterion::Language { language: l.into() }.leaves_out(&c);
    assert!(lang("jupyter notebook").is_none());
    assert!(lang("Python").is_some());
}
