// Issue 14's coding benchmark: a rater codes 200 Dockerfile units by keyboard on a study of
// 1,000+ projects, in the real app through WebDriver. It reports the keystrokes per unit (units
// coded fresh, and units given the same codes as the project's previous Dockerfile) and the
// unit-to-unit time measured inside the webview: from the keydown of the key that moves on to
// the frame that first shows the next unit (its queue entry, its codes panel and its Dockerfile's
// lines), so WebDriver's round-trips are not counted. Beside it, a baseline in the same webview:
// a key that changes nothing, from its keydown to the next frame. Goals: a repeated label in
// <= 3 keystrokes; unit-to-unit p95 under 100 ms. It reports; it does not assert the goals.
//
// Run through scripts/bench-coding.sh (the release build; CODEBENCH_APP / CODEBENCH_CLI for
// another), or tests/e2e/run.sh tests/e2e/bench/coding.bench.mjs (the debug build).
//   BENCH_PROJECTS (default 1040), BENCH_UNITS (default 200), BENCH_BASELINE (default 40 before
//   and 40 after the coding) change the sizes; BENCH_THINK_MS (default 150) the rater's least
//   pause before each key (0: each key as soon as the last one shows).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { APP, chord, cli, KEY, pickRater, shot, until, withApp, WORK } from "../lib.mjs";
import { makeCheckouts } from "./study.mjs";

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 1040);
const UNITS = Number(process.env.BENCH_UNITS ?? 200);
const BASELINE = Number(process.env.BENCH_BASELINE ?? 40);
// The rater's least pause before each key while coding (reading aside): a fast typist's
// interval between deliberate keys. 0 sends each key as soon as the last one shows, so the
// move overlaps the work the previous keys started (the core's answers, the queue's update).
const THINK = Number(process.env.BENCH_THINK_MS ?? 150);
const RATER = "rae";
const DIMENSION = "purpose";
// A key the coding screen gives no meaning (not a code key, not a shortcut): the baseline.
const IDLE_KEY = "]";

const sorted = (xs) => [...xs].sort((a, b) => a - b);
/** The nearest-rank percentile of `xs` (q in 0..1). */
const pct = (xs, q) => {
  const s = sorted(xs);
  return s.length === 0 ? NaN : s[Math.max(0, Math.ceil(q * s.length) - 1)];
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (x) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/**
 * Waits until the webview is quiet (ten frames in a row each under 25 ms: after start-up and
 * loading a big queue, frames come ~100 ms apart for a few seconds), then returns the intervals
 * of those frames (the display's frame time, the floor of any "to the next frame" figure).
 */
async function quiet(browser) {
  const out = await browser.executeAsync((done) => {
    const started = performance.now();
    let last = null;
    let run = [];
    const frame = () => {
      const now = performance.now();
      if (last !== null) run = now - last < 25 ? [...run, now - last] : [];
      last = now;
      if (run.length >= 10 || now - started > 20000) done(run);
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  assert.ok(out.length >= 10, "the webview's frames settle under 25 ms within 20 s");
  return out;
}

/** Waits for `fn` with a short poll (the default 100 ms poll would dominate a 200-unit run). */
const soon = (browser, fn, what, timeout = 15000) => browser.waitUntil(fn, { timeout, interval: 10, timeoutMsg: `timed out waiting for ${what}` });

/**
 * The probe inside the webview. A capture-phase keydown listener on window runs before the
 * coding screen's own (bubbling) one and stamps performance.now(): for the move key (armed by
 * the bench before it sends it), a MutationObserver then waits until the queue, the codes panel
 * and the Dockerfile pane all show a unit other than the one left, with its lines, and a
 * requestAnimationFrame after that gives the frame that paints it (and a second one the frame
 * after, when it has been painted); for the idle key, only the next frame (and the one after).
 */
function installProbe(moveKey, idleKey) {
  const B = (window.__bench = { moves: [], idle: [], picks: [], stopPick: null, armed: null, ipc: {}, parse: {}, size: {}, ipcTimed: false, inflight: 0 });
  // Each command the page asks of the core, timed from the request to the answer's arrival.
  // Tauri's invoke is read-only, but its IPC is a fetch of ipc://localhost/<command> made
  // through the page's fetch at call time: wrapping fetch times every command.
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : String(input?.url ?? "");
    const m = /^(?:ipc:\/\/localhost|https?:\/\/ipc\.localhost)\/([^?#]+)/.exec(url);
    const t0 = performance.now();
    const p = fetch0.call(this, input, init);
    if (m !== null) {
      const cmd = decodeURIComponent(m[1]);
      B.ipcTimed = true;
      B.inflight++;
      // Runs before Tauri's own handler (registered first): times the answer's arrival, and
      // then its JSON parse (what the page does with it before the screen sees it).
      const done = (r) => {
        B.inflight--;
        (B.ipc[cmd] ??= []).push(performance.now() - t0);
        const n = Number(r?.headers?.get?.("content-length") ?? 0);
        if (n > (B.size[cmd] ?? 0)) B.size[cmd] = n;
        if (r !== null && typeof r.json === "function") {
          const json = r.json.bind(r);
          r.json = () => {
            const t1 = performance.now();
            return json().then((v) => {
              (B.parse[cmd] ??= []).push(performance.now() - t1);
              return v;
            });
          };
        }
      };
      p.then(done, () => done(null));
    }
    return p;
  };
  const open = () => document.querySelector("#queue [aria-current='true']")?.getAttribute("data-unit") ?? null;
  const shows = (name) => {
    if (document.querySelector("#codes .unit-name")?.getAttribute("title") !== name) return false;
    if (document.querySelector("#codes button.code") === null) return false;
    const df = document.querySelector("#dockerfile");
    return df !== null && df.getAttribute("aria-label") === name.slice(name.indexOf(":") + 1) && df.querySelector(".line") !== null;
  };
  window.addEventListener(
    "keydown",
    (e) => {
      const t0 = performance.now();
      if (e.key === idleKey) {
        requestAnimationFrame(() => {
          const frame = performance.now() - t0;
          requestAnimationFrame(() => B.idle.push({ frame, after: performance.now() - t0 }));
        });
        return;
      }
      // Any other one-character key (a code key, "="): the time until the codes it checks are
      // on screen. The next key press stops waiting (a key that checks nothing leaves no figure).
      B.stopPick?.();
      B.stopPick = null;
      if (e.key.length === 1) {
        const checked = () => [...document.querySelectorAll("#codes [aria-checked='true']")].map((b) => b.getAttribute("data-code")).join(",");
        const was = checked();
        const key = e.key;
        const obs = new MutationObserver(() => {
          if (checked() === was) return;
          obs.disconnect();
          B.stopPick = null;
          const dom = performance.now() - t0;
          requestAnimationFrame(() => B.picks.push({ key, dom, ms: performance.now() - t0 }));
        });
        obs.observe(document.querySelector("#codes") ?? document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-checked"] });
        B.stopPick = () => obs.disconnect();
        return;
      }
      if (e.key !== moveKey || B.armed === null) return;
      const from = B.armed;
      const busy = B.inflight;
      B.armed = null;
      let done = false;
      const check = () => {
        const now = open();
        if (done || now === null || now === from || !shows(now)) return;
        done = true;
        obs.disconnect();
        const dom = performance.now() - t0;
        // The frame that paints it, and the one after (it has been painted by then).
        requestAnimationFrame(() => {
          const frame = performance.now() - t0;
          // How many of the new unit's codes its code list shows scrolled past (out of view
          // above) in the frame the rater first sees.
          const list = document.querySelector("#codes .code-list");
          const top = list?.getBoundingClientRect().top ?? 0;
          const listTop = list === null ? 0 : [...list.querySelectorAll("button.code")].filter((b) => b.getBoundingClientRect().bottom <= top + 1).length;
          requestAnimationFrame(() => B.moves.push({ from, to: now, dom, frame, after: performance.now() - t0, listTop, busy }));
        });
      };
      const obs = new MutationObserver(check);
      obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-current", "title", "aria-label"] });
    },
    { capture: true },
  );
}

test(`coding bench: ${UNITS} Dockerfile units by keyboard on ${PROJECTS} projects`, { timeout: 30 * 60 * 1000 }, async () => {
  const started = Date.now();
  const loadBefore = loadavg()[0];
  // The study, with the real CLI: generated checkouts imported, then a rater.
  const dir = mkdtempSync(join(WORK, "bench-coding-"));
  const study = join(dir, "study.codebench");
  const trees = join(dir, "checkouts");
  cli(["--study", study, "init"]);
  let gen;
  const tImport = Date.now();
  try {
    gen = makeCheckouts(trees, PROJECTS);
    cli(["--study", study, "import", "local", ...gen.dirs]);
  } finally {
    rmSync(trees, { recursive: true, force: true });
  }
  const importMs = Date.now() - tImport;
  cli(["--study", study, "raters", "add", RATER]);
  const units = cli(["--study", study, "units"]).split("\n").filter((l) => l.trim() !== "");
  const dfUnits = units.filter((u) => u.includes(":")).length;
  assert.equal(units.length, gen.projects + gen.dockerfiles, "every project and Dockerfile is a unit");
  assert.ok(dfUnits >= UNITS, `at least ${UNITS} Dockerfile units (${dfUnits})`);

  // Every key sent to the app, so none is missed in the count.
  let keystrokes = 0;
  const press = async (browser, key) => {
    keystrokes++;
    await browser.keys(key);
  };
  const perUnit = []; // { unit, kind: "fresh" | "repeated", keys, codes }
  let setupKeys = 0;
  let moves = [];
  let idle = [];
  let codingMs = 0;
  const frameIntervals = [];
  let ipc = null;
  let picks = [];
  let dom = null;
  let moveName = "";
  let sameName = "";

  await withApp(["--study", study], async (browser) => {
    await pickRater(browser, RATER);
    await until(browser, async () => (await browser.$$("#codes button.code").length) > 0, "the first unit's codes", 30000);

    // The keys, from the app's own help ("?"), not guessed.
    await press(browser, "?");
    await until(browser, async () => (await browser.$("#help").isExisting()), "the help overlay");
    const help = await browser.execute(() => [...document.querySelectorAll("#help tr")].map((tr) => [tr.querySelector("th")?.textContent?.trim() ?? "", tr.querySelector("td")?.textContent?.trim() ?? ""]));
    // The first key of a row WebDriver types as itself: Enter or one printable character
    // ("↓ / j, ↑ / k" gives j; "Enter" gives Enter).
    const keyFor = (re) => {
      const row = help.find(([, what]) => re.test(what));
      assert.ok(row, `the help lists a key that does: ${re}`);
      const key = row[0].split(",")[0].split("/").map((x) => x.trim()).find((x) => x === "Enter" || /^[!-~]$/.test(x));
      assert.ok(key !== undefined, `a key WebDriver can send in "${row[0]}"`);
      return key;
    };
    moveName = keyFor(/save and go to the next unit/);
    sameName = keyFor(/same codes as the previous Dockerfile/);
    const MOVE = moveName === "Enter" ? KEY.Enter : moveName;
    const SAME = sameName === "Enter" ? KEY.Enter : sameName;
    await press(browser, KEY.Escape);
    await until(browser, async () => !(await browser.$("#help").isExisting()), "the help to close");

    // Only Dockerfile units: the queue has no filter by kind, so search the unit names
    // (every Dockerfile unit's name holds "dockerfile", no project's does).
    keystrokes++;
    await chord(browser, KEY.Control, "f");
    await until(browser, async () => (await browser.$("#queue-search").isFocused()), "the queue search");
    for (const ch of "dockerfile") await press(browser, ch);
    await press(browser, KEY.Escape);
    await until(
      browser,
      async () => browser.execute(() => document.querySelectorAll("#queue button.unit[data-kind='project']:not([aria-current='true'])").length === 0 && document.querySelectorAll("#queue button.unit[data-kind='dockerfile']").length > 0),
      "the queue to list only Dockerfile units",
      30000,
    );
    // From the project unit the app opened on, to the first Dockerfile ("next unit", j / ↓).
    await press(browser, keyFor(/next \/ previous unit/));
    await until(browser, async () => browser.execute(() => document.querySelector("#queue [aria-current='true']")?.getAttribute("data-kind") === "dockerfile"), "the first Dockerfile unit", 30000);
    setupKeys = keystrokes;

    await browser.execute(installProbe, moveName, IDLE_KEY);
    const idleRound = async () => {
      frameIntervals.push(...(await quiet(browser)));
      for (let i = 0; i < BASELINE; i++) {
        const n = await browser.execute(() => window.__bench.idle.length);
        await browser.keys(IDLE_KEY);
        await soon(browser, async () => (await browser.execute(() => window.__bench.idle.length)) > n, "the idle key's frame");
      }
    };
    await idleRound();

    // The rater's work: each Dockerfile as it comes.
    const lastCodes = new Map(); // project -> the codes its previous Dockerfile got
    await browser.execute(() => {
      window.__bench.ipc = {};
      window.__bench.parse = {};
    });
    const tCoding = Date.now();
    for (let i = 0; i < UNITS; i++) {
      const state = await browser.execute((dim) => {
        const unit = document.querySelector("#queue [aria-current='true']")?.getAttribute("data-unit") ?? null;
        const keys = Object.fromEntries([...document.querySelectorAll(`#codes [data-dimension="${dim}"] button.code`)].map((b) => [b.getAttribute("data-code"), b.querySelector("kbd.key")?.textContent?.trim() ?? ""]));
        const checked = [...document.querySelectorAll(`#codes [data-dimension="${dim}"] [aria-checked='true']`)].map((b) => b.getAttribute("data-code"));
        return { unit, keys, checked };
      }, DIMENSION);
      const unit = state.unit;
      assert.ok(unit !== null && unit.includes(":"), `unit ${i + 1} is a Dockerfile unit (${unit})`);
      const codes = gen.labels.get(unit);
      assert.ok(codes !== undefined, `the generator knows ${unit}`);
      assert.deepEqual(state.checked, [], `${unit} starts uncoded`);
      const project = unit.slice(0, unit.indexOf(":"));
      const before = keystrokes;
      const repeated = lastCodes.has(project) && same(lastCodes.get(project), codes);
      const think = () => (THINK > 0 ? browser.pause(THINK) : undefined);
      if (repeated) {
        await think();
        await press(browser, SAME);
      } else {
        for (const c of codes) {
          const k = state.keys[c];
          assert.ok(k !== undefined && k !== "", `the codes panel shows a key for ${c} on ${unit}`);
          await think();
          await press(browser, k);
        }
      }
      // What a rater looks at before moving on: the codes checked on screen.
      await soon(
        browser,
        async () => same(await browser.execute((dim) => [...document.querySelectorAll(`#codes [data-dimension="${dim}"] [aria-checked='true']`)].map((b) => b.getAttribute("data-code")), DIMENSION), codes),
        `the codes of ${unit} to be checked`,
      );
      await browser.execute(() => {
        window.__bench.armed = document.querySelector("#queue [aria-current='true']")?.getAttribute("data-unit") ?? null;
      });
      await think();
      await press(browser, MOVE);
      await soon(browser, async () => (await browser.execute(() => window.__bench.moves.length)) > i, `the unit after ${unit}`);
      perUnit.push({ unit, kind: repeated ? "repeated" : "fresh", keys: keystrokes - before, codes });
      lastCodes.set(project, codes);
    }
    codingMs = Date.now() - tCoding;
    await idleRound();

    ipc = await browser.execute(() => (window.__bench.ipcTimed ? { times: window.__bench.ipc, parse: window.__bench.parse, size: window.__bench.size } : null));
    moves = await browser.execute(() => window.__bench.moves);
    picks = await browser.execute(() => window.__bench.picks);
    idle = await browser.execute(() => window.__bench.idle);
    // The app's own count of what this rater coded.
    const progress = (await browser.$("#progress strong").getText()).trim();
    assert.equal(progress.split(" / ")[0], String(UNITS), `the app counts ${UNITS} coded units (${progress})`);
    // What every style and layout pass of the screen works on: its elements (the queue lists
    // every unit its filter and search let through), and a forced full restyle and relayout.
    dom = await browser.execute(() => {
      const times = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        document.documentElement.style.setProperty("--bench-restyle", String(i));
        void document.body.offsetHeight;
        times.push(performance.now() - t0);
      }
      document.documentElement.style.removeProperty("--bench-restyle");
      times.sort((a, b) => a - b);
      return { all: document.querySelectorAll("*").length, queue: document.querySelectorAll("#queue *").length, listed: document.querySelectorAll("#queue button.unit").length, relayout: times[2] };
    });
    await shot(browser, "bench-coding");
  });

  // Every decision reached the study file: read back with the CLI, the app closed.
  const stored = JSON.parse(cli(["--study", study, "decisions", "--rater", RATER, "--format", "json"]));
  const mine = stored.filter((d) => d.dimension === DIMENSION);
  assert.equal(stored.length, UNITS, `${UNITS} decisions for ${RATER} in the study file`);
  for (const u of perUnit) {
    const d = mine.find((x) => x.unit === u.unit);
    assert.ok(d !== undefined && same(d.codes, u.codes), `${u.unit}: stored ${JSON.stringify(d?.codes)}, coded ${JSON.stringify(u.codes)}`);
  }
  rmSync(dir, { recursive: true, force: true });

  // Moves from a Dockerfile to one of the same project (its view already loaded) and to the
  // next project's (its README and Dockerfiles asked of the core).
  const projectOf = (u) => u.slice(0, u.indexOf(":"));
  const within = moves.filter((m) => projectOf(m.from) === projectOf(m.to)).map((m) => m.frame);
  const across = moves.filter((m) => projectOf(m.from) !== projectOf(m.to)).map((m) => m.frame);
  const frames = moves.map((m) => m.frame);
  const afters = moves.map((m) => m.after);
  const idleAfter = idle.map((x) => x.after);
  idle = idle.map((x) => x.frame);
  const doms = moves.map((m) => m.dom);
  const sameKeys = picks.filter((p) => p.key === sameName).map((p) => p.ms);
  const codeKeys = picks.filter((p) => p.key !== sameName).map((p) => p.ms);
  const codeKeysDom = picks.filter((p) => p.key !== sameName).map((p) => p.dom);
  const fresh = perUnit.filter((u) => u.kind === "fresh");
  const rep = perUnit.filter((u) => u.kind === "repeated");
  const k = (xs) => (xs.length === 0 ? "n/a" : mean(xs.map((u) => u.keys)).toFixed(1));
  const build = /\/release\//.test(APP) ? "release" : /\/debug\//.test(APP) ? "debug" : "installed";
  const lines = [
    `coding bench: ${UNITS} Dockerfile units on ${gen.projects.toLocaleString("en")} projects; keystrokes per unit: fresh ${k(fresh)}, repeated ${k(rep)} (goal <= 3); unit-to-unit p50 ${ms(pct(frames, 0.5))} ms, p95 ${ms(pct(frames, 0.95))} ms (goal < 100 ms)`,
    `coding bench: baseline, a key that changes nothing to the next frame, same webview (${idle.length} presses): p50 ${ms(pct(idle, 0.5))} ms, p95 ${ms(pct(idle, 0.95))} ms; unit-to-unit / baseline: p50 ${(pct(frames, 0.5) / pct(idle, 0.5)).toFixed(1)}x, p95 ${(pct(frames, 0.95) / pct(idle, 0.95)).toFixed(1)}x`,
    `coding bench: to the frame after (the next unit painted by then) p50 ${ms(pct(afters, 0.5))} ms p95 ${ms(pct(afters, 0.95))} ms; baseline, the idle key to the frame after its next, p50 ${ms(pct(idleAfter, 0.5))} ms p95 ${ms(pct(idleAfter, 0.95))} ms`,
    `coding bench: the webview's frame interval when quiet p50 ${ms(pct(frameIntervals, 0.5))} ms (the floor of "to the next frame"); baseline taken after the webview went quiet: ${BASELINE} presses before the coding p50 ${ms(pct(idle.slice(0, BASELINE), 0.5))} ms p95 ${ms(pct(idle.slice(0, BASELINE), 0.95))} ms, ${BASELINE} after p50 ${ms(pct(idle.slice(BASELINE), 0.5))} ms p95 ${ms(pct(idle.slice(BASELINE), 0.95))} ms`,
    `coding bench: units coded fresh ${fresh.length} (keys max ${Math.max(...fresh.map((u) => u.keys))}), repeated with "${sameName}" ${rep.length} (keys max ${rep.length ? Math.max(...rep.map((u) => u.keys)) : 0}); moving on with ${moveName === "Enter" ? "Enter" : `"${moveName}"`}; ${setupKeys} keys once to start (help, the queue search "dockerfile", next)`,
    `coding bench: unit-to-unit within a project (view cached) n=${within.length} p50 ${ms(pct(within, 0.5))} ms p95 ${ms(pct(within, 0.95))} ms; to the next project (README and Dockerfiles loaded) n=${across.length} p50 ${ms(pct(across, 0.5))} ms p95 ${ms(pct(across, 0.95))} ms; max ${ms(Math.max(...frames))} ms; to the DOM (before the frame) p50 ${ms(pct(doms, 0.5))} ms p95 ${ms(pct(doms, 0.95))} ms`,
    `coding bench: key to its codes checked on screen (same webview, to the frame): a code key n=${codeKeys.length} p50 ${ms(pct(codeKeys, 0.5))} ms p95 ${ms(pct(codeKeys, 0.95))} ms (to the DOM p50 ${ms(pct(codeKeysDom, 0.5))} ms p95 ${ms(pct(codeKeysDom, 0.95))} ms); "${sameName}" n=${sameKeys.length} p50 ${ms(pct(sameKeys, 0.5))} ms p95 ${ms(pct(sameKeys, 0.95))} ms max ${ms(Math.max(0, ...sameKeys))} ms (the bench presses ${moveName} only once the codes show)`,
    `coding bench: the core's answers during the coding, call to answer in the webview: ${
      ipc === null
        ? "not timed (no IPC fetch seen)"
        : Object.entries(ipc.times)
            .sort((a, b) => b[1].length - a[1].length)
            .map(([c, t]) => {
              const parse = ipc.parse[c] ?? [];
              const big = ipc.size[c] > 10000 ? `, answer up to ${Math.round(ipc.size[c] / 1024)} KiB parsed in p50 ${ms(pct(parse, 0.5))} ms` : "";
              return `${c} n=${t.length} p50 ${ms(pct(t, 0.5))} ms p95 ${ms(pct(t, 0.95))} ms${big}`;
            })
            .join("; ")
    }`,
    `coding bench: the rater paused at least ${THINK} ms before each key (BENCH_THINK_MS); the move key came while the core still had calls to answer on ${moves.filter((m) => m.busy > 0).length} of ${moves.length} units`,
    `coding bench: the coding screen holds ${dom.all} elements, ${dom.queue} of them in the queue (${dom.listed} units listed); a forced full restyle and relayout of it takes ${ms(dom.relayout)} ms (median of 5)`,
    `coding bench: units that opened with their codes list scrolled, its first codes out of view: ${moves.filter((m) => m.listTop > 0).length} of ${moves.length} (up to ${Math.max(0, ...moves.map((m) => m.listTop))} codes hidden above)`,
    `coding bench: ${stored.length} decisions of ${RATER} read back from the study file with the CLI, each as coded; study ${gen.projects} projects, ${gen.dockerfiles} Dockerfile units (import ${(importMs / 1000).toFixed(1)} s); ${UNITS} units coded in ${(codingMs / 1000).toFixed(1)} s of WebDriver time; whole bench ${((Date.now() - started) / 1000).toFixed(0)} s; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after on ${cpus().length} cores; ${build} build: ${APP}`,
  ];
  for (const l of lines) console.log(l);
});
