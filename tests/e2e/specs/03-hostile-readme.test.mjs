// (c) The hostile README runs none of its payloads, links go to the system browser, and the
// window never leaves the app.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addRaterByKeyboard, freshStudy, openedUrls, shot, until, withApp } from "../lib.mjs";

async function noAlert(browser) {
  try {
    const text = await browser.getAlertText();
    return `an alert is open: ${text}`;
  } catch {
    return null;
  }
}

test("the hostile README is inert and the app stays on its own page", async () => {
  const study = freshStudy("hostile");
  await withApp(["--study", study, "--open", "hostile-demo/readme-payloads"], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    const home = await browser.getUrl();
    await addRaterByKeyboard(browser, "ana");
    await until(browser, async () => (await browser.$("#readme h1").isExisting()), "the README");
    assert.equal(await browser.$("#unit-title").getText(), "hostile-demo/readme-payloads");
    assert.equal(await browser.$("#readme h1").getText(), "readme-payloads");

    const report = await browser.execute(() => {
      const readme = document.querySelector("#readme");
      const all = [...readme.querySelectorAll("*")];
      return {
        pwned: typeof window.__pwned,
        scripts: readme.querySelectorAll("script").length,
        active: readme.querySelectorAll("iframe, frame, object, embed, form, input, meta, style, svg, link, base").length,
        handlers: all.flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith("on")).map((a) => `${e.tagName}.${a.name}`)),
        styles: all.filter((e) => e.hasAttribute("style")).length,
        badLinks: all
          .flatMap((e) => ["href", "src", "action", "data"].map((n) => e.getAttribute(n)))
          .filter((v) => v !== null && !/^(https?:|mailto:|#)/i.test(v.trim())),
        rows: readme.querySelectorAll("table tr").length,
        bodyShown: getComputedStyle(document.body).display !== "none",
        details: readme.querySelector("details")?.textContent?.includes("Nothing to see") ?? false,
      };
    });
    assert.deepEqual(report, {
      pwned: "undefined",
      scripts: 0,
      active: 0,
      handlers: [],
      styles: 0,
      badLinks: [],
      rows: 301,
      bodyShown: true,
      details: true,
    });
    assert.equal(await noAlert(browser), null);
    await shot(browser, "07-hostile-readme");

    // Click every link the payloads left: nothing runs, nothing navigates, nothing is opened.
    const before = openedUrls().length;
    const links = await browser.$$("#readme a");
    assert.ok(links.length >= 4, `the neutralised links are still there as text (${links.length})`);
    for (const a of links) {
      await a.scrollIntoView();
      await a.click();
    }
    await browser.pause(300);
    assert.equal(await noAlert(browser), null);
    assert.equal(await browser.getUrl(), home);
    assert.deepEqual(openedUrls().slice(before), [], "no hostile link reached the browser");

    // The content security policy forbids inline script and remote script even if some got in.
    const csp = await browser.executeAsync((done) => {
      const inline = document.createElement("script");
      inline.textContent = "window.__inlineRan = true;";
      document.body.append(inline);
      const remote = document.createElement("script");
      remote.src = "https://example.invalid/x.js";
      remote.onerror = () => done({ inline: window.__inlineRan === true, remoteBlocked: true });
      remote.onload = () => done({ inline: window.__inlineRan === true, remoteBlocked: false });
      document.body.append(remote);
    });
    assert.deepEqual(csp, { inline: false, remoteBlocked: true });
    // README images resolved to the repository (raw.githubusercontent.com) may load; images
    // from anywhere else are refused by the policy (no tracking pixels). Offline here, so the
    // check is the policy's own verdict, not the load.
    const images = await browser.executeAsync((done) => {
      const blocked = [];
      document.addEventListener("securitypolicyviolation", (e) => blocked.push(e.blockedURI));
      for (const src of ["https://raw.githubusercontent.com/o/n/abc/img/a.png", "https://tracker.example.invalid/p.gif"]) {
        const i = document.createElement("img");
        i.src = src;
        document.body.append(i);
      }
      setTimeout(() => done(blocked), 500);
    });
    assert.deepEqual(images, ["https://tracker.example.invalid/p.gif"]);

    // A script that tries to leave is stopped by the shell's navigation guard.
    await browser.execute(() => {
      window.location.href = "https://example.invalid/phish";
    });
    await browser.pause(500);
    assert.equal(await browser.getUrl(), home);
    assert.ok(await browser.$("#progress").isExisting(), "the app is still there");
  });
});

test("web links in a README open in the system browser, not in the app", async () => {
  const study = freshStudy("links");
  await withApp(["--study", study, "--open", "basalt-ai/autotune"], async (browser) => {
    await until(browser, async () => (await browser.$("#rater-screen").isExisting()), "the rater screen");
    const home = await browser.getUrl();
    await addRaterByKeyboard(browser, "ana");
    await until(browser, async () => (await browser.$("#readme a").isExisting()), "the README links");
    const before = openedUrls().length;
    await browser.$("#readme").$("a=Docs").click();
    await until(browser, async () => openedUrls().length > before, "the browser to be asked");
    assert.deepEqual(openedUrls().slice(before), ["https://basalt-ai.example/autotune"]);
    assert.equal(await browser.getUrl(), home);
    assert.equal(await browser.$("#unit-title").getText(), "basalt-ai/autotune");
  });
});
