// Images in a rendered README that do not load (a broken URL, or a host the content security
// policy refuses, as for most badges) become a small labelled placeholder instead of an empty
// box the size the README asked for. Whether an image loads is known only here, in the webview.

/** What a placeholder says: "image: <alt text or file name> (not loaded)". */
export function missingImageLabel(alt: string | null, src: string | null): string {
  const text = alt?.trim() ?? "";
  return `image: ${text !== "" ? text : fileName(src)} (not loaded)`;
}

/** The last part of an image URL's path, decoded, or "unnamed". */
export function fileName(src: string | null): string {
  const path = ((src ?? "").split(/[?#]/)[0] ?? "").replace(/\/+$/, "");
  const last = path.slice(path.lastIndexOf("/") + 1);
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // Not valid percent-encoding: shown as written.
  }
  return name.trim() !== "" ? name : "unnamed";
}

/** Replaces a failed image by its placeholder (inside the image's link, if it has one). */
export function placehold(img: HTMLImageElement): void {
  if (!img.isConnected) return;
  const label = missingImageLabel(img.getAttribute("alt"), img.getAttribute("src"));
  const span = document.createElement("span");
  span.className = "img-missing";
  span.setAttribute("role", "img");
  span.setAttribute("aria-label", label);
  span.title = img.getAttribute("src") ?? "";
  span.textContent = label;
  img.replaceWith(span);
}

/**
 * A Svelte action for an element holding rendered README HTML: images that fail to load are
 * replaced by placeholders. `error` does not bubble, so it is heard in the capture phase; on
 * each update (new HTML) images that already failed are found too.
 */
export function placeholdBrokenImages(root: HTMLElement, _html?: unknown) {
  const onError = (e: Event) => {
    if (e.target instanceof HTMLImageElement) placehold(e.target);
  };
  const scan = () => {
    for (const img of root.querySelectorAll("img")) {
      if (img.complete) img.decode().catch(() => placehold(img));
    }
  };
  root.addEventListener("error", onError, true);
  queueMicrotask(scan);
  return {
    update() {
      queueMicrotask(scan);
    },
    destroy() {
      root.removeEventListener("error", onError, true);
    },
  };
}
