// The coding benchmark's study: checkouts on disk in the real study's shape, for
// `codebench import local`. Each project has a README and 1–3 Dockerfiles; projects with
// several hold near-identical variants (Dockerfile and Dockerfile.gpu, docker/hvd/Dockerfile.hvd-cpu
// and -gpu, ...), usually coded alike, and sometimes a variant of another purpose (a test or a
// development image). Every checkout has a `.git` with an `origin` remote and a HEAD commit, so
// projects are named owner/name and pinned as real checkouts are (no git is run).
//
// Deterministic for a seed: the same folders, contents and intended labels every run.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** A small seeded PRNG (mulberry32): the same study for the same seed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OWNERS = ["basalt", "lumen", "greenrow", "cobalt", "ferro", "quill", "tandem", "oriel", "marlin", "sable", "vireo", "kestrel", "umber", "delta", "zephyr", "halcyon", "nimbus", "larch", "pollen", "argent"];
const OWNER_TAILS = ["ai", "labs", "ml", "research", "group", "dev", "io", "data"];
const ADJ = ["tiny", "fast", "deep", "open", "neural", "smart", "robust", "lean", "sparse", "quantum", "federated", "auto", "meta", "bayes", "graph", "vision", "speech", "tabular", "causal", "edge"];
const NOUN = ["serve", "tune", "train", "bench", "lens", "flow", "forge", "pipe", "hub", "kit", "lab", "net", "store", "scope", "board", "cast", "mind", "vault", "stack", "grid"];

/**
 * Purpose codes of the shipped codebook with how often the study gives them (rough weights in
 * the spirit of the EASE 2022 tables: dependency management, training and hosting dominate).
 */
const PURPOSES = [
  ["dependency-management", 30],
  ["model-training", 18],
  ["hosting", 16],
  ["environment-variables", 10],
  ["build-packaging", 10],
  ["interactive-development", 9],
  ["prediction-inference", 8],
  ["data-processing", 7],
  ["model-storage-serving", 6],
  ["software-testing", 5],
  ["manage-services", 5],
  ["ci-cd", 4],
  ["tool-integration", 4],
  ["model-evaluation", 4],
  ["logging-monitoring", 3],
  ["network-management", 3],
  ["data-storage-persistence", 3],
  ["cloud-based-development", 2],
  ["tutorials-documentation", 2],
  ["security", 1],
  ["simulation", 1],
  ["task-scheduling", 1],
];

/** What a Dockerfile with a purpose tends to say (so the files read like their labels). */
const LINES = {
  "dependency-management": ["COPY requirements.txt /app/", "RUN pip install --no-cache-dir -r /app/requirements.txt"],
  "model-training": ["COPY train.py configs/ /app/", 'CMD ["python", "train.py", "--config", "configs/default.yaml"]'],
  hosting: ["EXPOSE 8080", 'CMD ["gunicorn", "-b", "0.0.0.0:8080", "app:server"]'],
  "environment-variables": ["ENV PYTHONUNBUFFERED=1 \\", "    MODEL_DIR=/models \\", "    LOG_LEVEL=info"],
  "build-packaging": ["COPY . /src", "RUN cd /src && python -m build --wheel && pip install dist/*.whl"],
  "interactive-development": ["RUN pip install jupyterlab", "EXPOSE 8888", 'CMD ["jupyter", "lab", "--ip=0.0.0.0", "--no-browser", "--allow-root"]'],
  "prediction-inference": ["COPY predict.py /app/", 'ENTRYPOINT ["python", "predict.py"]'],
  "data-processing": ["COPY scripts/preprocess.py /app/", "RUN python /app/preprocess.py --out /data/clean"],
  "model-storage-serving": ["COPY models/ /models/", "RUN pip install torchserve torch-model-archiver"],
  "software-testing": ["COPY tests/ /app/tests/", "RUN pip install pytest pytest-cov", 'CMD ["pytest", "-q", "tests"]'],
  "manage-services": ["RUN apt-get update && apt-get install -y --no-install-recommends supervisor", "COPY supervisord.conf /etc/supervisor/conf.d/"],
  "ci-cd": ["ARG CI_COMMIT_SHA", "LABEL org.opencontainers.image.revision=$CI_COMMIT_SHA"],
  "tool-integration": ["RUN pip install mlflow wandb", "COPY hooks/ /app/hooks/"],
  "model-evaluation": ["COPY evaluate.py /app/", 'CMD ["python", "evaluate.py", "--split", "test"]'],
  "logging-monitoring": ["RUN pip install prometheus-client", "EXPOSE 9100"],
  "network-management": ["RUN apt-get update && apt-get install -y iproute2 iputils-ping", "EXPOSE 50051"],
  "data-storage-persistence": ['VOLUME ["/data"]', "RUN mkdir -p /data/cache"],
  "cloud-based-development": ["RUN pip install awscli google-cloud-storage", "ENV AWS_DEFAULT_REGION=eu-west-1"],
  "tutorials-documentation": ["COPY docs/ /docs/", "RUN pip install mkdocs && mkdocs build -f /docs/mkdocs.yml"],
  security: ["RUN useradd --create-home --uid 10001 app", "USER app"],
  simulation: ["RUN pip install gymnasium mujoco", 'CMD ["python", "simulate.py"]'],
  "task-scheduling": ["RUN pip install celery redis", 'CMD ["celery", "-A", "tasks", "worker"]'],
};

/** Layouts of a project's Dockerfiles: each a list of [path, kind], kind "base", "variant" (near-identical) or "other". */
const LAYOUTS = {
  1: [[["Dockerfile", "base"]], [["docker/Dockerfile", "base"]]],
  2: [
    [["Dockerfile", "base"], ["Dockerfile.gpu", "variant"]],
    [["docker/cpu/Dockerfile", "base"], ["docker/gpu/Dockerfile", "variant"]],
    [["Dockerfile", "base"], ["docker/Dockerfile.dev", "other"]],
  ],
  3: [
    [["Dockerfile", "base"], ["Dockerfile.gpu", "variant"], ["docker/Dockerfile.test", "other"]],
    [["docker/hvd/Dockerfile.hvd-cpu", "base"], ["docker/hvd/Dockerfile.hvd-gpu", "variant"], ["docker/hvd/Dockerfile.hvd-tpu", "variant"]],
    [["Dockerfile", "base"], ["Dockerfile.cuda11", "variant"], ["Dockerfile.cuda12", "variant"]],
  ],
};

const CPU_BASES = ["python:3.10-slim", "python:3.11-slim", "ubuntu:22.04", "continuumio/miniconda3:23.10.0-1"];
const GPU_BASES = ["nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04", "nvidia/cuda:12.4.0-runtime-ubuntu22.04", "pytorch/pytorch:2.2.0-cuda12.1-cudnn8-runtime"];

/**
 * Writes `count` checkouts under `root` (one folder each) and returns them with the labels a
 * rater would give each Dockerfile:
 * `{ dirs: string[], projects: number, dockerfiles: number, labels: Map<unit name, string[]> }`.
 */
export function makeCheckouts(root, count, seed = 2022) {
  const r = rng(seed);
  const pickOf = (xs) => xs[Math.floor(r() * xs.length)];
  const total = PURPOSES.reduce((s, [, w]) => s + w, 0);
  const purpose = () => {
    let x = r() * total;
    for (const [code, w] of PURPOSES) if ((x -= w) < 0) return code;
    return PURPOSES[0][0];
  };
  /** One to three distinct purposes (most Dockerfiles get one or two). */
  const labelSet = () => {
    const n = r() < 0.45 ? 1 : r() < 0.7 ? 2 : 3;
    const s = new Set();
    while (s.size < n) s.add(purpose());
    return [...s].sort();
  };
  const sha = () => Array.from({ length: 40 }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");

  const dirs = [];
  const labels = new Map();
  let dockerfiles = 0;
  for (let i = 0; i < count; i++) {
    const owner = `${pickOf(OWNERS)}-${pickOf(OWNER_TAILS)}`;
    const name = `${pickOf(ADJ)}${pickOf(NOUN)}-${String(i).padStart(4, "0")}`;
    const dir = join(root, `p${String(i).padStart(4, "0")}`);
    mkdirSync(join(dir, ".git"), { recursive: true });
    writeFileSync(join(dir, ".git", "config"), `[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = https://github.com/${owner}/${name}.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
    writeFileSync(join(dir, ".git", "HEAD"), `${sha()}\n`);

    const n = r() < 0.45 ? 1 : r() < 0.55 ? 2 : 3;
    const layout = pickOf(LAYOUTS[n]);
    const base = labelSet();
    const cpu = pickOf(CPU_BASES);
    let prev = base;
    for (const [path, kind] of layout) {
      // A near-identical variant is mostly coded as the file before it; now and then a variant
      // does a little more (or less), and a file of another kind has its own purposes.
      let codes;
      if (kind === "base") codes = base;
      else if (kind === "variant") codes = r() < 0.85 ? prev : labelSet();
      else codes = labelSet();
      const from = kind === "variant" ? pickOf(GPU_BASES) : cpu;
      writeFile(join(dir, path), dockerfile(from, codes, name, kind === "variant", r));
      labels.set(`${owner}/${name}:${path}`, codes);
      prev = codes;
      dockerfiles++;
    }
    writeFile(join(dir, "README.md"), readme(owner, name, layout, r));
    dirs.push(dir);
  }
  return { dirs, projects: count, dockerfiles, labels };
}

function writeFile(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function dockerfile(from, codes, name, gpu, r) {
  const out = [`# ${name}: ${gpu ? "GPU" : "CPU"} image`, `FROM ${from}`, "", "WORKDIR /app"];
  if (gpu) out.push("ENV NVIDIA_VISIBLE_DEVICES=all", "ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility");
  out.push("RUN apt-get update \\", "    && apt-get install -y --no-install-recommends git curl ca-certificates \\", "    && rm -rf /var/lib/apt/lists/*");
  for (const c of codes) out.push("", ...(LINES[c] ?? [`# ${c}`]));
  // Some files are long (many RUN steps), as real ones are.
  const extra = Math.floor(r() * r() * 40);
  for (let i = 0; i < extra; i++) out.push(`RUN echo "step ${i}" >> /app/build.log`);
  return `${out.join("\n")}\n`;
}

function readme(owner, name, layout, r) {
  const para = () =>
    Array.from({ length: 3 + Math.floor(r() * 5) }, () => `${name} ${["trains", "serves", "evaluates", "packages", "explores"][Math.floor(r() * 5)]} models on ${["images", "text", "tabular data", "speech", "graphs"][Math.floor(r() * 5)]} with a small, documented pipeline.`).join(" ");
  const lines = [`# ${name}`, "", `by ${owner} · [documentation](https://example.org/${owner}/${name}) · MIT licence`, "", para(), "", "## Installation", "", "```sh", `git clone https://github.com/${owner}/${name}`, "pip install -r requirements.txt", "```", "", "## Docker", ""];
  for (const [path] of layout) lines.push(`- \`${path}\`: \`docker build -f ${path} -t ${name} .\``);
  lines.push("", "```sh", `docker run --rm -p 8080:8080 ${owner}/${name}:latest`, "```", "", "## Usage", "");
  for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) lines.push(para(), "");
  lines.push("| option | default | meaning |", "|---|---|---|", "| `--epochs` | 10 | passes over the data |", "| `--batch-size` | 32 | examples per step |", "", "## Citation", "", `If you use ${name}, please cite the accompanying paper.`, "");
  return lines.join("\n");
}
