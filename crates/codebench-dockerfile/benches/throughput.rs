//! Throughput of the full Dockerfile analysis on one core, on a generated corpus of realistic
//! Dockerfiles (written here; no real repository text).
//!
//! ```text
//! cargo bench -p codebench-dockerfile --bench throughput -- [--mb N] [--write-corpus DIR]
//! ```
//! `--write-corpus DIR` also writes the corpus as files so `compare-python.sh` can time the
//! Python `dockerfile-parse` package on the very same input.
//! `--digest` prints a hash of the JSON of every analysis (the generated corpus, the fuzz seed
//! corpus and some edge cases), so two builds can be checked for identical output.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Counts heap allocations, so the bench can report allocations per file.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Small deterministic PRNG (xorshift64*), so every run sees the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const BASES: &[&str] = &[
    "ubuntu:22.04",
    "ubuntu:20.04",
    "python:3.11-slim",
    "python:3.9",
    "nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04",
    "nvidia/cuda:11.8.0-devel-ubuntu20.04",
    "pytorch/pytorch:2.1.0-cuda12.1-cudnn8-runtime",
    "tensorflow/tensorflow:2.14.0-gpu",
    "alpine:3.19",
    "debian:bookworm-slim",
    "node:20-alpine",
    "golang:1.22",
    "continuumio/miniconda3:latest",
    "jupyter/scipy-notebook",
    "nvcr.io/nvidia/pytorch:23.10-py3",
    "${BASE_IMAGE}",
];
const APT: &[&str] = &[
    "build-essential",
    "git",
    "curl",
    "wget",
    "ca-certificates",
    "libgl1",
    "libglib2.0-0",
    "ffmpeg",
    "python3-dev",
    "python3-pip",
    "cmake",
    "unzip",
    "libsm6",
    "libxext6",
    "openssh-client",
    "vim",
];
const PIP: &[&str] = &[
    "numpy==1.26.4",
    "pandas",
    "scikit-learn",
    "torch",
    "torchvision",
    "transformers>=4.30",
    "fastapi",
    "uvicorn[standard]",
    "mlflow",
    "onnxruntime-gpu",
    "opencv-python-headless",
    "matplotlib",
    "jupyterlab",
    "pyyaml",
    "tqdm",
];
const ENVS: &[&str] = &[
    "PYTHONUNBUFFERED=1",
    "DEBIAN_FRONTEND=noninteractive",
    "LANG=C.UTF-8",
    "PATH=/opt/conda/bin:$PATH",
    "NVIDIA_VISIBLE_DEVICES=all",
    "MODEL_DIR=/models",
    "TRANSFORMERS_CACHE=/cache/hf",
];
const COMMENTS: &[&str] = &[
    "# Install system dependencies",
    "# Python packages for training and serving",
    "# Copy the application code",
    "# Download pretrained weights at build time",
    "# Run as an unprivileged user",
    "# Expose the inference API",
];

fn apt_run(r: &mut Rng, out: &mut String) {
    out.push_str("RUN apt-get update \\\n    && apt-get install -y");
    if r.chance(60) {
        out.push_str(" --no-install-recommends");
    }
    out.push_str(" \\\n");
    for _ in 0..2 + r.below(8) {
        out.push_str("        ");
        out.push_str(r.pick(APT));
        out.push_str(" \\\n");
    }
    if r.chance(70) {
        out.push_str("    && rm -rf /var/lib/apt/lists/*\n");
    } else {
        out.push_str("    && apt-get clean\n");
    }
}

fn pip_run(r: &mut Rng, out: &mut String) {
    out.push_str(r.pick(&[
        "RUN pip install",
        "RUN pip3 install",
        "RUN python -m pip install",
    ]));
    if r.chance(50) {
        out.push_str(" --no-cache-dir");
    }
    for _ in 0..1 + r.below(6) {
        out.push(' ');
        out.push_str(r.pick(PIP));
    }
    out.push('\n');
}

/// One generated Dockerfile.
fn dockerfile(r: &mut Rng) -> String {
    let mut out = String::with_capacity(2048);
    if r.chance(20) {
        out.push_str("# syntax=docker/dockerfile:1.6\n");
    }
    let base = r.pick(BASES);
    if base.starts_with('$') {
        out.push_str("ARG BASE_IMAGE=python:3.10-slim\n");
    }
    let stages = if r.chance(30) { 2 } else { 1 };
    for s in 0..stages {
        if r.chance(50) {
            out.push_str(r.pick(COMMENTS));
            out.push('\n');
        }
        if s == 0 && stages == 2 {
            out.push_str(&format!("FROM {} AS builder\n", r.pick(&BASES[..15])));
        } else {
            out.push_str(&format!("FROM {base}\n"));
        }
        if r.chance(40) {
            out.push_str("LABEL maintainer=\"team@example.org\" org.opencontainers.image.source=\"https://example.org/repo\"\n");
        }
        out.push_str("ENV");
        for _ in 0..1 + r.below(3) {
            out.push(' ');
            out.push_str(r.pick(ENVS));
        }
        out.push('\n');
        out.push_str("WORKDIR /app\n\n");
        apt_run(r, &mut out);
        out.push('\n');
        for _ in 0..1 + r.below(3) {
            if r.chance(30) {
                out.push_str(r.pick(COMMENTS));
                out.push('\n');
            }
            pip_run(r, &mut out);
        }
        if r.chance(25) {
            out.push_str("RUN <<EOF\nset -e\nmkdir -p /models /cache\nwget -q https://example.org/weights.bin -O /models/w.bin\nchmod -R 755 /models\nEOF\n");
        }
        if r.chance(30) {
            out.push_str(
                "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n",
            );
        }
        if s == 1 && stages == 2 {
            out.push_str("COPY --from=builder /opt/venv /opt/venv\n");
        }
        out.push_str(r.pick(&[
            "COPY . /app\n",
            "COPY requirements.txt ./\nCOPY src/ /app/src/\n",
            "ADD . /app\n",
            "COPY [\"configs/\", \"/app/configs/\"]\n",
        ]));
        if r.chance(40) {
            out.push_str("RUN useradd -m -u 1000 app && chown -R app:app /app\nUSER app\n");
        }
    }
    out.push_str(&format!(
        "EXPOSE {}\n",
        r.pick(&["8000", "8080", "5000", "8888 6006"])
    ));
    if r.chance(20) {
        out.push_str(
            "HEALTHCHECK --interval=30s CMD curl -f http://localhost:8000/health || exit 1\n",
        );
    }
    out.push_str(r.pick(&[
        "CMD [\"python\", \"serve.py\", \"--port\", \"8000\"]\n",
        "ENTRYPOINT [\"uvicorn\", \"app:api\", \"--host\", \"0.0.0.0\"]\n",
        "CMD python train.py --epochs 10\n",
        "CMD [\"jupyter\", \"lab\", \"--ip=0.0.0.0\", \"--allow-root\"]\n",
    ]));
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let megabytes: usize = value("--mb").and_then(|v| v.parse().ok()).unwrap_or(20);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut files = Vec::new();
    let mut total = 0usize;
    while total < megabytes * 1_000_000 {
        let f = dockerfile(&mut rng);
        total += f.len();
        files.push(f);
    }
    if let Some(dir) = value("--write-corpus") {
        let dir = std::path::PathBuf::from(dir);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove old corpus");
        }
        std::fs::create_dir_all(&dir).expect("create corpus dir");
        for (i, f) in files.iter().enumerate() {
            std::fs::write(dir.join(format!("{i:06}.Dockerfile")), f).expect("write corpus");
        }
        println!(
            "corpus: {} files, {} bytes in {}",
            files.len(),
            total,
            dir.display()
        );
    }
    if args.iter().any(|a| a == "--digest") {
        print_digest(&files);
    }
    // Sanity: the generated files parse without errors.
    let bad = files
        .iter()
        .filter(|f| {
            !codebench_dockerfile::analyze("g", f.as_bytes())
                .errors
                .is_empty()
        })
        .count();
    assert_eq!(bad, 0, "generated files must parse cleanly");

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut instructions = 0usize;
    for f in &files {
        instructions += codebench_dockerfile::analyze("Dockerfile", f.as_bytes())
            .instructions
            .len();
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!(
        "allocations: {:.1} per file, {:.2} per instruction",
        allocations as f64 / files.len() as f64,
        allocations as f64 / instructions as f64
    );

    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    for _ in 0..5 {
        let cpu_start = thread_cpu_seconds();
        let start = Instant::now();
        let mut instructions = 0usize;
        for f in &files {
            let a = codebench_dockerfile::analyze(black_box("Dockerfile"), black_box(f.as_bytes()));
            instructions += a.instructions.len();
        }
        black_box(instructions);
        best = best.min(start.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
    }
    let mbps = total as f64 / 1e6 / best;
    println!(
        "codebench-dockerfile analyze: {} files, {:.1} MB, best of 5: {:.3} s wall, {:.1} MB/s",
        files.len(),
        total as f64 / 1e6,
        best,
        mbps
    );
    if best_cpu.is_finite() {
        let cpu_mbps = total as f64 / 1e6 / best_cpu;
        println!("  on-CPU time (one core, /proc/thread-self/schedstat): {best_cpu:.3} s, {cpu_mbps:.1} MB/s");
        println!("RUST_CPU_MBPS={cpu_mbps:.1}");
    }
    println!("RUST_MBPS={mbps:.1}");
}

/// FNV-1a over the JSON of every analysis of `files`, of the fuzz seed corpus and of the
/// generated files cut at every 97th byte (odd endings), printed with the number of inputs.
fn print_digest(files: &[String]) {
    let mut inputs: Vec<Vec<u8>> = files.iter().map(|f| f.as_bytes().to_vec()).collect();
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/analyze");
    let mut seed_paths: Vec<_> = std::fs::read_dir(seeds)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    seed_paths.sort();
    for p in seed_paths {
        inputs.push(std::fs::read(p).expect("read seed"));
    }
    for f in files.iter().take(500) {
        let b = f.as_bytes();
        let mut cut = 1;
        while cut < b.len() {
            inputs.push(b[..cut].to_vec());
            cut += 97;
        }
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for input in &inputs {
        let json = serde_json::to_vec(&codebench_dockerfile::analyze("Dockerfile", input))
            .expect("analysis serialises");
        for b in json {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("digest: {hash:016x} over {} inputs", inputs.len());
}

/// Time this thread has spent on a CPU (Linux), so a busy shared machine does not distort the
/// figure; `None` elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
