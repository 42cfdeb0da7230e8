// Links inside a README: web links go to the system browser, everything else does nothing.

/** What a click on a link in a README does. */
export type LinkAction = { kind: "browser"; url: string } | { kind: "ignore" };

/** The action for a link's `href` (as written in the README HTML). */
export function linkAction(href: string | null): LinkAction {
  if (href === null) return { kind: "ignore" };
  const h = href.trim();
  if (/^https?:\/\//i.test(h)) {
    try {
      const u = new URL(h);
      if ((u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "") {
        return { kind: "browser", url: u.href };
      }
    } catch {
      return { kind: "ignore" };
    }
  }
  return { kind: "ignore" };
}

/** The link a click landed on inside rendered HTML, or null (a click beside any link). */
export function clickedHref(e: MouseEvent): string | null | undefined {
  const a = e.target instanceof Element ? e.target.closest("a") : null;
  return a === null ? undefined : a.getAttribute("href");
}
