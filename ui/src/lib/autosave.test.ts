import { describe, expect, it } from "vitest";
import { debounce, type Timers } from "./autosave";
import { Drafts, lastRaterKey, type KeyValue } from "./drafts";
import { linkAction } from "./links";

/** Timers that fire only when the test says so. */
function manualTimers() {
  const due = new Map<number, () => void>();
  let n = 0;
  const timers: Timers = {
    set: (fn) => {
      due.set(++n, fn);
      return n;
    },
    clear: (h) => void due.delete(h as number),
  };
  return {
    timers,
    fire() {
      const fns = [...due.values()];
      due.clear();
      fns.forEach((f) => f());
    },
    get count() {
      return due.size;
    },
  };
}

describe("debounce", () => {
  it("saves only the last value after the pause", async () => {
    const t = manualTimers();
    const saved: string[] = [];
    const save = debounce(async (v: string) => void saved.push(v), 500, () => {}, t.timers);
    save.schedule("h");
    save.schedule("he");
    save.schedule("hey");
    expect(t.count).toBe(1);
    expect(save.pending).toBe(true);
    t.fire();
    await save.flush();
    expect(saved).toEqual(["hey"]);
    expect(save.pending).toBe(false);
  });

  it("flush saves at once, and a cancelled save never happens", async () => {
    const t = manualTimers();
    const saved: string[] = [];
    const save = debounce(async (v: string) => void saved.push(v), 500, () => {}, t.timers);
    save.schedule("a");
    await save.flush();
    expect(saved).toEqual(["a"]);
    expect(t.count).toBe(0);
    save.schedule("b");
    save.cancel();
    await save.flush();
    expect(saved).toEqual(["a"]);
  });

  it("never runs two saves at once and survives a failure", async () => {
    const t = manualTimers();
    const log: string[] = [];
    const errors: unknown[] = [];
    let release: () => void = () => {};
    const save = debounce(
      async (v: string) => {
        log.push(`start ${v}`);
        if (v === "slow") await new Promise<void>((r) => (release = r));
        if (v === "bad") throw "disk full";
        log.push(`end ${v}`);
      },
      500,
      (e) => errors.push(e),
      t.timers,
    );
    save.schedule("slow");
    const first = save.flush();
    save.schedule("bad");
    const second = save.flush();
    save.schedule("ok");
    const third = save.flush();
    await Promise.resolve();
    expect(log).toEqual(["start slow"]);
    release();
    await Promise.all([first, second, third]);
    expect(log).toEqual(["start slow", "end slow", "start bad", "start ok", "end ok"]);
    expect(errors).toEqual(["disk full"]);
  });
});

describe("Drafts", () => {
  const memory = (): KeyValue & { map: Map<string, string> } => {
    const map = new Map<string, string>();
    return {
      map,
      getItem: (k) => map.get(k) ?? null,
      setItem: (k, v) => void map.set(k, v),
      removeItem: (k) => void map.delete(k),
    };
  };

  it("keeps a memo per study, rater, unit and dimension until saved", () => {
    const store = memory();
    const ana = new Drafts(store, "/s.codebench", "ana");
    const bob = new Drafts(store, "/s.codebench", "bob");
    const other = new Drafts(store, "/t.codebench", "ana");
    ana.set("o/n", "kind", "unsure: model or toolkit");
    expect(ana.get("o/n", "kind")).toBe("unsure: model or toolkit");
    expect(bob.get("o/n", "kind")).toBeNull();
    expect(other.get("o/n", "kind")).toBeNull();
    expect(ana.get("o/n:Dockerfile", "kind")).toBeNull();
    ana.saved("o/n", "kind");
    expect(ana.get("o/n", "kind")).toBeNull();
    expect(store.map.size).toBe(0);
  });

  it("remembers the last rater per study", () => {
    expect(lastRaterKey("/a")).not.toBe(lastRaterKey("/b"));
  });
});

describe("linkAction", () => {
  it("sends web links to the browser", () => {
    expect(linkAction("https://example.org/x?y#z")).toEqual({ kind: "browser", url: "https://example.org/x?y#z" });
    expect(linkAction(" HTTP://Example.org ")).toEqual({ kind: "browser", url: "http://example.org/" });
  });

  it("ignores everything else", () => {
    for (const href of [null, "", "#usage", "javascript:alert(1)", "data:text/html,x", "mailto:a@b.org", "tauri://localhost/", "http://", "/etc/passwd"]) {
      expect(linkAction(href)).toEqual({ kind: "ignore" });
    }
  });
});
