import { describe, expect, it } from "vitest";
import { highlightDockerfile, MAX_HIGHLIGHT_BYTES, splitHighlighted } from "./highlight";

describe("splitHighlighted", () => {
  it("closes and reopens spans across line ends", () => {
    expect(splitHighlighted('a<span class="x">b\nc<span class="y">d\ne</span></span>f')).toEqual([
      'a<span class="x">b</span>',
      '<span class="x">c<span class="y">d</span></span>',
      '<span class="x"><span class="y">e</span></span>f',
    ]);
    expect(splitHighlighted("plain\n\nlines")).toEqual(["plain", "", "lines"]);
  });
});

describe("highlightDockerfile", () => {
  it("keeps one line per source line and the text unchanged", () => {
    const text = 'FROM python:3.11 AS base\n# a comment\nRUN apt-get update && \\\n    pip install "x<y>" --no-cache-dir\nCMD ["python", "-m", "app"]';
    const lines = highlightDockerfile(text);
    expect(lines).not.toBeNull();
    expect(lines).toHaveLength(5);
    const strip = (h: string) =>
      h.replace(/<[^>]+>/g, "").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#x27;/g, "'").replace(/&amp;/g, "&");
    expect(lines!.map(strip)).toEqual(text.split("\n"));
    expect(lines![0]).toContain("hljs-keyword");
    expect(lines![1]).toContain("hljs-comment");
  });

  it("never lets markup in the file through", () => {
    const lines = highlightDockerfile('LABEL x="<img src=x onerror=alert(1)>"\n# <script>alert(1)</script>')!;
    for (const l of lines) {
      expect(l).not.toMatch(/<(img|script)/i);
      expect(l.replace(/<\/?span[^>]*>/g, "")).not.toContain("<");
    }
  });

  it("leaves very large files plain", () => {
    expect(highlightDockerfile("RUN x\n".repeat(MAX_HIGHLIGHT_BYTES / 4))).toBeNull();
  });
});
