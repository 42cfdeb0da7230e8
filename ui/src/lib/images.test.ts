import { describe, expect, it } from "vitest";
import { fileName, missingImageLabel } from "./images";

describe("README image placeholders", () => {
  it("say the alt text when there is one", () => {
    expect(missingImageLabel("PyPI version", "https://badge.fury.io/py/pyhf.svg")).toBe("image: PyPI version (not loaded)");
    expect(missingImageLabel("  logo ", null)).toBe("image: logo (not loaded)");
  });

  it("else the file name, without query or fragment, decoded", () => {
    expect(missingImageLabel(null, "https://raw.githubusercontent.com/o/n/abc/docs/img/My%20Logo.png?raw=true#x")).toBe("image: My Logo.png (not loaded)");
    expect(missingImageLabel("", "https://img.shields.io/badge/docs/")).toBe("image: docs (not loaded)");
    expect(fileName("https://e.org/%E0%A4%A.png")).toBe("%E0%A4%A.png");
    expect(fileName(null)).toBe("unnamed");
    expect(fileName("https://e.org/")).toBe("e.org");
    expect(fileName("")).toBe("unnamed");
  });
});
