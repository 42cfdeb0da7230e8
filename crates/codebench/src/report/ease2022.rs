//! The figures the EASE 2022 study published, as restated in the project's reference notes.

/// Projects per kind (code id, projects, share in percent).
pub const KINDS: [(&str, u32, f64); 6] = [
    ("application-system", 170, 42.0),
    ("mlops-aiops", 92, 23.0),
    ("toolkit", 63, 16.0),
    ("dl-framework", 62, 15.0),
    ("model", 13, 3.0),
    ("documentation-tutorials", 6, 1.0),
];
/// Table 2, medians per kind over the projects' images: (code id, config size in KB,
/// environment variables, layers, rootfs layers, files, deepest directory level).
pub const IMAGE_MEDIANS: [(&str, f64, f64, f64, f64, f64, f64); 6] = [
    ("model", 13.74, 9.0, 19.5, 22.0, 51_943.0, 17.0),
    ("application-system", 11.36, 8.0, 17.0, 19.0, 62_660.0, 16.0),
    ("mlops-aiops", 11.7, 8.0, 13.0, 17.0, 49_768.0, 14.0),
    ("toolkit", 11.38, 8.0, 17.0, 19.5, 61_828.0, 17.0),
    ("dl-framework", 12.45, 10.0, 16.0, 19.5, 62_967.0, 17.0),
    (
        "documentation-tutorials",
        8.56,
        5.5,
        12.0,
        13.0,
        89_581.0,
        18.0,
    ),
];
/// Median share of each instruction per project, percent (n = 405).
pub const INSTRUCTION_SHARES: [(&str, f64); 12] = [
    ("RUN", 37.8),
    ("ENV", 13.0),
    ("COPY", 12.5),
    ("ARG", 11.0),
    ("FROM", 8.8),
    ("WORKDIR", 7.5),
    ("ADD", 5.3),
    ("CMD", 4.3),
    ("ENTRYPOINT", 3.9),
    ("EXPOSE", 3.5),
    ("USER", 3.2),
    ("VOLUME", 2.0),
];
/// Median share of each RUN command category per project, percent.
pub const RUN_CATEGORIES: [(&str, f64); 5] = [
    ("Dependencies", 42.1),
    ("Build/Execute", 31.6),
    ("Filesystem", 24.8),
    ("Permissions", 5.3),
    ("Environment", 3.0),
];
/// Share of projects using each base-image type, percent.
pub const BASE_IMAGE_TYPES: [(&str, f64); 13] = [
    ("Operating System", 63.4),
    ("Language Runtime", 50.9),
    ("Platform Runtime", 39.3),
    ("Machine Learning Platform", 29.6),
    ("Variable", 18.8),
    ("Web Computing", 7.3),
    ("Static Binary", 5.3),
    ("Data Processing and Analysis", 4.3),
    ("Interactive Computing", 3.5),
    ("Database", 2.3),
    ("Compute resources and Distributed processing", 1.8),
    ("Network Communication", 1.5),
    ("Monitoring System", 0.25),
];
/// Share of projects using the most common base images, percent (`{org}` = non-official).
pub const BASE_IMAGES: [(&str, f64); 5] = [
    ("ubuntu", 53.9),
    ("{org}/cuda", 37.8),
    ("python", 36.1),
    ("{org}/tensorflow", 11.0),
    ("alpine", 10.3),
];
