//! Which files of a repository a rater reads, by name. One place for these rules: the local
//! import and the GitHub import both use them.

/// What a file is to the study.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The repository's root README.
    Readme,
    /// A Dockerfile: each one is a unit for the Dockerfile dimensions.
    Dockerfile,
    /// A docker-compose file (read for image references).
    Compose,
    /// A CI workflow file (read for pushed image tags).
    Workflow,
}

impl Role {
    /// The word stored in the study file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Readme => "readme",
            Role::Dockerfile => "dockerfile",
            Role::Compose => "compose",
            Role::Workflow => "workflow",
        }
    }
}

/// Folders never walked into: version control, vendored dependencies.
pub const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "vendor"];

/// Whether a folder name is one the walk skips.
pub fn is_skipped_dir(name: &str) -> bool {
    SKIPPED_DIRS.contains(&name)
}

/// Whether a file name (not a path) names a Dockerfile: `Dockerfile`, `Dockerfile.*`,
/// `Dockerfile-*`, `Dockerfile_*`, `*.Dockerfile`, `*.dockerfile`, in any case.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower == "dockerfile" {
        return true;
    }
    if let Some(rest) = lower.strip_prefix("dockerfile") {
        return rest.len() > 1 && matches!(rest.as_bytes()[0], b'.' | b'-' | b'_');
    }
    lower.len() > ".dockerfile".len() && lower.ends_with(".dockerfile")
}

/// Whether a file name is a README: `README`, `README.md`, `README.rst`, or any `readme.*`,
/// in any case.
pub fn is_readme_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "readme" || (lower.starts_with("readme.") && lower.len() > "readme.".len())
}

/// Among several root READMEs, how much a name is preferred (lower is better).
pub fn readme_preference(name: &str) -> (u8, String) {
    let lower = name.to_ascii_lowercase();
    let rank = match lower.as_str() {
        "readme.md" => 0,
        "readme.markdown" => 1,
        "readme.rst" => 2,
        "readme" => 3,
        "readme.txt" => 4,
        _ => 5,
    };
    (rank, lower)
}

/// Whether a file name is a docker-compose file.
pub fn is_compose_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .strip_suffix(".yml")
        .or_else(|| lower.strip_suffix(".yaml"));
    matches!(stem, Some(s) if s == "compose" || s == "docker-compose" || s.starts_with("docker-compose.") || s.starts_with("docker-compose-"))
}

/// The role of a path inside a repository (`a/b/Dockerfile`, forward slashes), if the study
/// reads it. READMEs count only at the root; workflows only under `.github/workflows/`.
pub fn role_of(path: &str) -> Option<Role> {
    let mut parts = path.split('/');
    let name = parts.next_back()?;
    let dirs: Vec<&str> = parts.collect();
    if dirs.iter().any(|d| is_skipped_dir(d)) {
        return None;
    }
    if dirs.is_empty() && is_readme_name(name) {
        return Some(Role::Readme);
    }
    if is_dockerfile_name(name) {
        return Some(Role::Dockerfile);
    }
    if is_compose_name(name) {
        return Some(Role::Compose);
    }
    let lower = name.to_ascii_lowercase();
    if dirs == [".github", "workflows"] && (lower.ends_with(".yml") || lower.ends_with(".yaml")) {
        return Some(Role::Workflow);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for yes in [
            "Dockerfile",
            "dockerfile",
            "DOCKERFILE",
            "Dockerfile.gpu",
            "Dockerfile-inference",
            "dockerfile_release.template",
            "cuda.Dockerfile",
            "serve.dockerfile",
        ] {
            assert!(is_dockerfile_name(yes), "{yes}");
        }
        for no in [
            "Dockerfile.",
            "Dockerfiles",
            ".dockerfile",
            "Dockerfile-",
            "README.md",
            "dockerignore",
            ".dockerignore",
        ] {
            assert!(!is_dockerfile_name(no), "{no}");
        }
    }

    #[test]
    fn readme_names() {
        for yes in [
            "README",
            "README.md",
            "readme.rst",
            "Readme.txt",
            "README.markdown",
        ] {
            assert!(is_readme_name(yes), "{yes}");
        }
        for no in ["READMEs", "readme.", "README-old.md"] {
            assert!(!is_readme_name(no), "{no}");
        }
        let mut names = ["README", "readme.rst", "README.md"];
        names.sort_by_key(|n| readme_preference(n));
        assert_eq!(names[0], "README.md");
    }

    #[test]
    fn roles_of_paths() {
        assert_eq!(role_of("README.md"), Some(Role::Readme));
        assert_eq!(role_of("docs/README.md"), None);
        assert_eq!(role_of("tests/Dockerfile"), Some(Role::Dockerfile));
        assert_eq!(role_of("node_modules/x/Dockerfile"), None);
        assert_eq!(role_of("a/vendor/Dockerfile"), None);
        assert_eq!(role_of("docker-compose.yml"), Some(Role::Compose));
        assert_eq!(
            role_of("deploy/docker-compose.prod.yaml"),
            Some(Role::Compose)
        );
        assert_eq!(role_of("compose.yaml"), Some(Role::Compose));
        assert_eq!(
            role_of(".github/workflows/docker.yml"),
            Some(Role::Workflow)
        );
        assert_eq!(role_of(".github/docker.yml"), None);
    }
}
