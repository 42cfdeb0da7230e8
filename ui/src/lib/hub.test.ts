import { describe, expect, it } from "vitest";
import type { HubImage } from "./generated/types";
import { applyHubEvent, day, fetchSummary, hubState, imageFacts, shortCount, tagsNote } from "./hub";

const image = (over: Partial<HubImage>): HubImage => ({
  name: "acme/server",
  references: ["acme/server:1.0"],
  fetched: true,
  found: true,
  description: "A server",
  full_description: null,
  full_description_html: null,
  star_count: 12,
  pull_count: 1_234_567,
  last_updated: "2024-03-01T10:00:00.000000Z",
  date_registered: null,
  status: "active",
  web_url: "https://hub.docker.com/r/acme/server",
  tag_count: 3,
  tags_complete: true,
  tags: [],
  fetched_at: null,
  ...over,
});

describe("Docker Hub evidence", () => {
  it("says where a project stands", () => {
    expect(hubState(null)).toBe("none");
    expect(hubState({ project: "a/b", images: [] })).toBe("none");
    expect(hubState({ project: "a/b", images: [image({}), image({ name: "x/y", fetched: false, found: false })] })).toBe("unfetched");
    expect(hubState({ project: "a/b", images: [image({}), image({ name: "x/y", found: false })] })).toBe("fetched");
  });

  it("shows counts and dates as people read them", () => {
    expect(shortCount(null)).toBe("–");
    expect(shortCount(950)).toBe("950");
    expect(shortCount(12_345)).toBe("12.3k");
    expect(shortCount(4_100_000)).toBe("4.1M");
    expect(day("2024-03-01T10:00:00Z")).toBe("2024-03-01");
    expect(imageFacts(image({}))).toBe("1.2M pulls · 12 stars · updated 2024-03-01");
    expect(imageFacts(image({ found: false }))).toBe("not on Docker Hub (404)");
    expect(imageFacts(image({ fetched: false }))).toBe("not fetched yet");
  });

  it("says when only some tags were read", () => {
    const tag = (name: string) => ({ name, last_pushed: null, last_updated: null, digest: null, full_size: null, status: null });
    expect(tagsNote(image({ tags: [tag("latest")], tag_count: 1 }))).toBe("1 tag");
    expect(tagsNote(image({ tags: [tag("latest"), tag("v2")], tag_count: 250, tags_complete: false }))).toBe("2 of 250 tags (the most recently updated)");
  });

  it("follows a fetch and sums it up", () => {
    let s = applyHubEvent({ total: 0, done: 0, waiting: null }, { event: "planned", to_fetch: 2, skipped: 0 });
    s = applyHubEvent(s, { event: "waiting", name: "acme/server", reason: "rate limit", wait_seconds: 3 });
    s = applyHubEvent(s, { event: "done", name: "acme/server", found: true, tags: 3 });
    expect(s).toEqual({ total: 2, done: 1, waiting: null });
    const summary = { projects: 1, repositories: 2, fetched: 2, not_found: ["x/y"], skipped: [], failed: [], requests: 5, cancelled: false };
    expect(fetchSummary({ result: summary, error: null })).toEqual({ ok: true, text: "Docker Hub: 2 fetched, 1 not on Docker Hub" });
    expect(fetchSummary({ result: { ...summary, failed: [{ name: "a/b", message: "rate limit" }] }, error: null }).ok).toBe(false);
  });
});
