// Clicks on links inside rendered READMEs and Docker Hub overviews: never followed inside the
// app; web links go to the system browser, all others do nothing.

import { openExternal } from "./generated/shell";
import { message } from "./errors";
import { clickedHref, linkAction } from "./links";

/** Handles a click (or middle click) in rendered HTML; `onerror` hears why a link could not
 * be opened, `null` when one was. */
export function followLink(e: MouseEvent, onerror: (problem: string | null) => void): void {
  const href = clickedHref(e);
  if (href === undefined) return;
  e.preventDefault();
  const action = linkAction(href);
  if (action.kind === "browser") {
    onerror(null);
    openExternal({ url: action.url }).catch((err: unknown) => onerror(message(err)));
  }
}
