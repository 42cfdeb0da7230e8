// Dockerfile syntax highlighting for the reader: highlight.js (its dockerfile grammar, with
// bash inside RUN) over the whole file, so continuation lines keep their context, then cut
// into lines for the numbered view. highlight.js escapes the text it is given; the only
// markup in its output is its own <span class="hljs-..."> elements.

import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import dockerfile from "highlight.js/lib/languages/dockerfile";

hljs.registerLanguage("bash", bash);
hljs.registerLanguage("dockerfile", dockerfile);

/** Files larger than this are shown plain (highlighting is for reading, not for 10 MB). */
export const MAX_HIGHLIGHT_BYTES = 256 * 1024;

/** Splits highlighted HTML into lines, closing the spans open at each line end and opening
 * them again on the next line, so every line is well-formed on its own. */
export function splitHighlighted(html: string): string[] {
  const lines: string[] = [];
  const open: string[] = [];
  let line = "";
  const tag = /<span[^>]*>|<\/span>|\n/g;
  let last = 0;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    line += html.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === "\n") {
      lines.push(line + "</span>".repeat(open.length));
      line = open.join("");
    } else if (m[0] === "</span>") {
      open.pop();
      line += m[0];
    } else {
      open.push(m[0]);
      line += m[0];
    }
  }
  lines.push(line + html.slice(last));
  return lines;
}

/** The Dockerfile's lines as highlighted HTML (escaped text in hljs spans), or null when the
 * file is too large to highlight. `text` has `\n` line ends and no final newline. */
export function highlightDockerfile(text: string): string[] | null {
  if (text.length > MAX_HIGHLIGHT_BYTES) return null;
  const html = hljs.highlight(text, { language: "dockerfile", ignoreIllegals: true }).value;
  return splitHighlighted(html);
}
