//! Metrics and hygiene checks, one test per rule, on Dockerfiles written for the test.

use codebench_dockerfile::{analyze, analyze_with, Analysis, BaseImageTypes, TagStatus};

fn a(text: &str) -> Analysis {
    analyze("Dockerfile", text.as_bytes())
}

fn rules(x: &Analysis) -> Vec<&str> {
    x.hygiene.iter().map(|f| f.rule.as_ref()).collect()
}

#[test]
fn counts_per_keyword() {
    let x = a("FROM python:3.11\nRUN a\nRUN b\nCOPY . .\nCMD x\n");
    assert_eq!(x.counts["RUN"], 2);
    assert_eq!(x.counts["FROM"], 1);
    assert_eq!(x.counts["COPY"], 1);
    assert_eq!(x.counts.get("ADD"), None);
    assert_eq!(x.stages[0].instructions, 5);
}

#[test]
fn base_images_are_split_typed_and_classified() {
    let x = a("FROM nvcr.io/nvidia/cuda:12.2.0-runtime-ubuntu22.04@sha256:ab AS gpu\n\
               FROM tensorflow/tensorflow:latest-gpu\nFROM ubuntu\nFROM python:latest\nFROM scratch\n");
    let b = &x.stages[0].base;
    assert_eq!(b.registry.as_deref(), Some("nvcr.io"));
    assert_eq!(b.namespace.as_deref(), Some("nvidia"));
    assert_eq!(b.name.as_deref(), Some("cuda"));
    assert_eq!(b.tag.as_deref(), Some("12.2.0-runtime-ubuntu22.04"));
    assert_eq!(b.digest.as_deref(), Some("sha256:ab"));
    assert_eq!(b.official, Some(false));
    assert_eq!(b.tag_status, TagStatus::Digest);
    assert_eq!(x.stages[0].base_type.as_deref(), Some("Platform Runtime"));
    assert_eq!(
        x.stages[1].base_type.as_deref(),
        Some("Machine Learning Platform")
    );
    assert_eq!(x.stages[1].base.official, Some(false));
    assert_eq!(x.stages[2].base.official, Some(true));
    assert_eq!(x.stages[2].base.tag_status, TagStatus::Untagged);
    assert_eq!(x.stages[3].base.tag_status, TagStatus::Latest);
    assert_eq!(x.stages[4].base_type.as_deref(), Some("Static Binary"));
    assert_eq!(x.stages[4].base.tag_status, TagStatus::None);
    assert!(x.multi_stage);
    assert_eq!(
        x.base_types,
        [
            "Platform Runtime",
            "Machine Learning Platform",
            "Operating System",
            "Language Runtime",
            "Static Binary"
        ]
    );
    let r = rules(&x);
    assert_eq!(r.iter().filter(|r| **r == "base-untagged").count(), 1);
    assert_eq!(r.iter().filter(|r| **r == "base-latest").count(), 1);
}

#[test]
fn bases_resolve_through_arg_defaults() {
    let x = a("ARG BASE=python:3.11\nARG CUDA=12.1\nARG IMG\nFROM ${BASE}\nFROM nvidia/cuda:${CUDA}-devel\nFROM $IMG\nFROM ${IMG}:${TAG}\nFROM ubuntu:${UNSET}\n");
    assert_eq!(x.stages[0].base.text, "${BASE}");
    assert_eq!(x.stages[0].base.resolved, "python:3.11");
    assert_eq!(x.stages[0].base_type.as_deref(), Some("Language Runtime"));
    assert_eq!(x.stages[1].base.resolved, "nvidia/cuda:12.1-devel");
    assert_eq!(x.stages[2].base_type.as_deref(), Some("Variable"));
    assert!(x.stages[2].base.variable);
    assert_eq!(x.stages[2].base.official, None);
    assert_eq!(x.stages[3].base_type.as_deref(), Some("Variable"));
    // Only the tag is unresolved: the image is still known.
    assert_eq!(x.stages[4].base_type.as_deref(), Some("Operating System"));
    assert_eq!(x.stages[4].base.tag_status, TagStatus::Variable);
    // ARGs after the first FROM do not resolve later FROMs.
    let y = a("FROM alpine\nARG B=python\nFROM $B\n");
    assert_eq!(y.stages[1].base_type.as_deref(), Some("Variable"));
    assert!(y.global_args.is_empty());
}

#[test]
fn copy_from_links_stages() {
    let x = a("FROM golang:1.22 AS build\nRUN go build\nFROM alpine:3.19\nCOPY --from=build /out /app\nCOPY --from=0 /x /y\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\nCOPY --from=BUILD /z /z\n");
    let links: Vec<(Option<usize>, &str, Option<usize>)> = x
        .copy_from
        .iter()
        .map(|c| (c.stage, c.from.as_str(), c.from_stage))
        .collect();
    assert_eq!(
        links,
        [
            (Some(1), "build", Some(0)),
            (Some(1), "0", Some(0)),
            (Some(1), "nginx:1.25", None),
            (Some(1), "BUILD", Some(0)),
        ]
    );
    assert_eq!(x.copy_from[0].line, 4);
}

#[test]
fn run_commands_are_categorised() {
    let x = a("FROM ubuntu:22.04\n\
RUN DEBIAN_FRONTEND=noninteractive sudo apt-get update && apt-get install -y --no-install-recommends git \\\n\
    && rm -rf /var/lib/apt/lists/* ; mkdir -p /app | tee log || env FOO=1 pip3 install --no-cache-dir x\n\
RUN set -ex; chmod +x /e; ./configure; ldconfig; frobnicate --all\n\
RUN [\"python3\", \"x.py\"]\n");
    let c = &x.run_categories;
    assert_eq!(c["Dependencies"], 3, "{c:?}");
    assert_eq!(c["Filesystem"], 2);
    assert_eq!(c["Build/Execute"], 2);
    assert_eq!(c["Environment"], 1);
    assert_eq!(c["Permissions"], 1);
    assert_eq!(c["Unknown"], 3);
    assert_eq!(x.run_unknown_words["ldconfig"], 1);
    assert_eq!(x.run_unknown_words["frobnicate"], 1);
    assert_eq!(x.run_unknown_words["tee"], 1);
    assert_eq!(x.run.commands, 12);
    assert_eq!(x.run.instructions, 3);
    assert_eq!(x.run.exec_form, 1);
    assert_eq!(x.stages[0].run_categories["Dependencies"], 3);
    assert!(
        x.hygiene.is_empty() || rules(&x) == ["no-user"],
        "{:?}",
        x.hygiene
    );
}

#[test]
fn ports_users_mounts_and_add_urls() {
    let x = a("FROM python:3.11 AS b\nUSER nobody\nFROM python:3.11-slim\nEXPOSE 8080 53/udp\nEXPOSE ${PORT}\n\
               RUN --mount=type=cache,target=/root/.cache/pip pip install flask\n\
               ADD https://example.com/model.bin /models/\nADD git@github.com:o/r.git /src\nUSER 1000:1000\n");
    assert_eq!(x.exposed_ports, ["8080", "53/udp", "${PORT}"]);
    assert!(x.uses_mount);
    assert_eq!(x.run.mount, 1);
    assert_eq!(x.add_urls.len(), 2);
    assert_eq!(x.add_urls[0].value, "https://example.com/model.bin");
    assert_eq!(x.user.as_deref(), Some("1000:1000"));
    assert!(x.non_root_user);
    assert_eq!(x.stages[0].user.as_deref(), Some("nobody"));
    // The pip cache is a cache mount, so no pip finding; ADD of URLs is fine.
    assert!(rules(&x).is_empty(), "{:?}", x.hygiene);

    let root = a("FROM alpine:3\nUSER app\nUSER root\n");
    assert!(!root.non_root_user);
    assert_eq!(rules(&root), ["no-user"]);
    let none = a("FROM alpine:3\nRUN true\n");
    assert_eq!(rules(&none), ["no-user"]);
    assert_eq!(none.hygiene[0].line, 1);
}

#[test]
fn apt_hygiene() {
    let x = a("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y curl\nUSER app\n");
    assert_eq!(
        rules(&x),
        ["apt-install-recommends", "apt-lists-not-cleaned"]
    );
    assert_eq!(x.hygiene[0].line, 2);
    let ok = a("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nUSER app\n");
    assert!(ok.hygiene.is_empty(), "{:?}", ok.hygiene);
    let cached = a("FROM ubuntu:22.04\nRUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt apt-get install -y --no-install-recommends curl\nUSER app\n");
    assert!(cached.hygiene.is_empty(), "{:?}", cached.hygiene);
}

#[test]
fn pip_hygiene() {
    let x = a("FROM python:3.11\nRUN pip install flask && python -m pip install x && pip3.11 install y\nUSER app\n");
    assert_eq!(rules(&x), ["pip-cache", "pip-cache", "pip-cache"]);
    let ok = a("FROM python:3.11\nRUN pip install --no-cache-dir flask\nUSER app\n");
    assert!(ok.hygiene.is_empty());
    let env = a("FROM python:3.11\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\nUSER app\n");
    assert!(env.hygiene.is_empty());
    let freeze = a("FROM python:3.11\nRUN pip freeze\nUSER app\n");
    assert!(freeze.hygiene.is_empty());
}

#[test]
fn add_where_copy_would_do() {
    let x = a("FROM alpine:3\nADD . /app\nADD src/ /src\nADD rootfs.tar.xz /\nADD https://x/y /y\nADD ${FILE} /f\nUSER app\n");
    assert_eq!(rules(&x), ["add-instead-of-copy", "add-instead-of-copy"]);
    assert_eq!(x.hygiene[0].line, 2);
    assert_eq!(x.hygiene[1].line, 3);
}

#[test]
fn researcher_edited_table() {
    let t = BaseImageTypes::from_csv("pattern,type\nmy/*,Database\n").unwrap();
    let x = analyze_with("Dockerfile", b"FROM my/db:1\nFROM ubuntu:22.04\n", &t);
    assert_eq!(x.stages[0].base_type.as_deref(), Some("Database"));
    assert_eq!(x.stages[1].base_type, None);
}

#[test]
fn analysis_round_trips_through_json() {
    let x = a("FROM python:3.11 AS app\nRUN <<EOF\npip install x\nEOF\nCOPY --from=app /a /b\n");
    let json = serde_json::to_string(&x).unwrap();
    let back: Analysis = serde_json::from_str(&json).unwrap();
    assert_eq!(back, x);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in [
        "path",
        "instructions",
        "counts",
        "stages",
        "errors",
        "run_categories",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let i = &v["instructions"][1];
    for key in ["keyword", "line", "flags", "args", "form"] {
        assert!(i.get(key).is_some(), "missing instructions[].{key}");
    }
    let s = &v["stages"][0];
    for key in ["name", "base", "platform", "base_type", "run_categories"] {
        assert!(s.get(key).is_some(), "missing stages[].{key}");
    }
}

#[test]
fn schema_document_lists_every_field() {
    let schema: serde_json::Value = serde_json::from_str(include_str!(
        "../../../schema/dockerfile-analysis.schema.json"
    ))
    .unwrap();
    let x = a("ARG B=alpine\nFROM $B AS s\nONBUILD RUN <<EOF\nx\nEOF\nRUN echo\n");
    let v = serde_json::to_value(&x).unwrap();
    let keys = |v: &serde_json::Value| -> std::collections::BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    };
    let required = |s: &serde_json::Value| -> std::collections::BTreeSet<String> {
        s["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&v), required(&schema));
    let defs = &schema["$defs"];
    assert_eq!(keys(&v["stages"][0]), required(&defs["stage"]));
    assert_eq!(
        keys(&v["stages"][0]["base"]),
        required(&defs["stage"]["properties"]["base"])
    );
    // Optional instruction fields (heredocs, trigger) appear only when set.
    let mut ins = keys(&v["instructions"][3]);
    assert_eq!(ins, required(&defs["instruction"]));
    ins = keys(&v["instructions"][2]["trigger"]);
    ins.remove("heredocs");
    assert_eq!(ins, required(&defs["instruction"]));
    assert_eq!(
        keys(&v["instructions"][2]["trigger"]["heredocs"][0]),
        required(&defs["heredoc"])
    );
}
