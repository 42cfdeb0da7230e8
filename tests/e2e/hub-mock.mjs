// A Docker Hub look-alike on 127.0.0.1 for the E2E specs, in the shapes of Docker Hub's API
// reference (the same as crates/codebench-hub's mock, which has no binary of its own):
// `GET /v2/namespaces/{ns}/repositories/{repo}` and `.../tags?page_size=N&page=P` (paged:
// count / next / previous / results, at most 100 a page, 404 past the last page), with
// X-RateLimit-* headers on every answer and 404 for unknown repositories. The deprecated
// `/v2/repositories/...` is answered 404 and counted.

import { createServer } from "node:http";

/**
 * Serves `repos`: [{ namespace, name, description, full_description, star_count, pull_count,
 * last_updated, tags: [{ name, last_pushed, digest, full_size }] }]. Resolves to
 * { url, requests(), stop() }.
 */
export function startHubMock(repos) {
  const stats = { requests: 0, deprecated: 0 };
  const find = (ns, name) => repos.find((r) => r.namespace === ns && r.name === name);
  const json = (res, status, body) => {
    res.writeHead(status, {
      "content-type": "application/json",
      "x-ratelimit-limit": "180",
      "x-ratelimit-remaining": "179",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 60),
    });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    stats.requests += 1;
    const url = new URL(req.url, "http://127.0.0.1");
    const segs = url.pathname.split("/").filter((s) => s !== "");
    if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { message: "method not allowed" });
    if (segs[0] === "v2" && segs[1] === "repositories") {
      stats.deprecated += 1;
      return json(res, 404, { message: "object not found" });
    }
    if (segs[0] !== "v2" || segs[1] !== "namespaces" || segs[3] !== "repositories" || segs.length < 5) return json(res, 404, { message: "not found" });
    const r = find(decodeURIComponent(segs[2]), decodeURIComponent(segs[4]));
    if (r === undefined) return json(res, 404, { message: "object not found", errinfo: {} });
    if (segs.length === 5) {
      return json(res, 200, {
        user: r.namespace,
        name: r.name,
        namespace: r.namespace,
        repository_type: "image",
        status: 1,
        status_description: "active",
        description: r.description,
        is_private: false,
        star_count: r.star_count,
        pull_count: r.pull_count,
        last_updated: r.last_updated,
        last_modified: r.last_updated,
        date_registered: "2019-06-01T08:00:00.000000Z",
        full_description: r.full_description,
        media_types: ["application/vnd.oci.image.index.v1+json"],
        content_types: ["image"],
        categories: [],
      });
    }
    if (segs.length === 6 && segs[5] === "tags") {
      const page = Number(url.searchParams.get("page") ?? "1");
      const size = Number(url.searchParams.get("page_size") ?? "10");
      if (!(page >= 1) || !(size >= 1 && size <= 100)) return json(res, 400, { message: "page must be at least 1 and page_size 1 to 100", errinfo: {} });
      const start = (page - 1) * size;
      if (start >= r.tags.length && page > 1) return json(res, 404, { message: "object not found" });
      const end = Math.min(start + size, r.tags.length);
      const base = `http://127.0.0.1:${server.address().port}/v2/namespaces/${r.namespace}/repositories/${r.name}/tags`;
      return json(res, 200, {
        count: r.tags.length,
        next: end < r.tags.length ? `${base}?page=${page + 1}&page_size=${size}` : null,
        previous: page > 1 ? `${base}?page=${page - 1}&page_size=${size}` : null,
        results: r.tags.slice(start, end).map((t, i) => ({
          id: start + i + 1,
          name: t.name,
          last_updated: t.last_pushed,
          tag_last_pushed: t.last_pushed,
          tag_last_pulled: t.last_pushed,
          tag_status: "active",
          full_size: t.full_size,
          digest: t.digest,
          media_type: "application/vnd.oci.image.index.v1+json",
          content_type: "image",
          images: [{ architecture: "amd64", os: "linux", digest: t.digest, size: t.full_size, status: "active", last_pushed: t.last_pushed }],
        })),
      });
    }
    return json(res, 404, { message: "not found" });
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        stats: () => ({ ...stats }),
        stop: () => new Promise((done) => server.close(() => done())),
      }),
    );
  });
}

/** `n` tags: `latest`, then `v{n-1}` down to `v1`, each pushed a day before the previous. */
export function tags(n) {
  const start = Date.UTC(2024, 2, 1, 10);
  return Array.from({ length: n }, (_, i) => ({
    name: i === 0 ? "latest" : `v${n - i}`,
    last_pushed: new Date(start - i * 86_400_000).toISOString(),
    digest: `sha256:${String(i).padStart(64, "0")}`,
    full_size: 10_000_000 + i,
  }));
}
