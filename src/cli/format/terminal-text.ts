// Text for the human views: a commit subject cut to fit a listing line (in
// terminal columns, so Japanese subjects, two columns a character, are not
// cut twice as long), and whether a result may be coloured at all.
import type { OutputMode } from '../output/output.js';

/** Columns a commit subject may take in a listing line (history, status); --json keeps it whole. */
export const SUBJECT_COLUMNS = 60;

/** Terminal columns of one code point: 2 for East Asian wide and full-width forms (and emoji), 0 for combining marks, else 1. */
function columnsOf(codePoint: number): number {
  if ((codePoint >= 0x300 && codePoint <= 0x36f) || (codePoint >= 0x200b && codePoint <= 0x200f) || codePoint === 0xfe0f) return 0;
  if (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0x303e) ||
    (codePoint >= 0x3041 && codePoint <= 0x33ff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0xa000 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1f64f) ||
    (codePoint >= 0x1f900 && codePoint <= 0x1f9ff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** The terminal columns `text` takes (no escape sequences expected). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += columnsOf(ch.codePointAt(0)!);
  return width;
}

/**
 * `text` on one line (runs of whitespace, newlines included, become one
 * space) and at most `columns` wide: a longer one is cut at a character
 * boundary and ends with an ellipsis.
 */
export function truncateToWidth(text: string, columns: number = SUBJECT_COLUMNS): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (displayWidth(line) <= columns) return line;
  let out = '';
  let width = 0;
  for (const ch of line) {
    const w = columnsOf(ch.codePointAt(0)!);
    if (width + w > columns - 1) break;
    out += ch;
    width += w;
  }
  return `${out.trimEnd()}…`;
}

/**
 * Whether a human result written to `stream` may carry colour: only in tty
 * mode, only when that stream is itself a terminal (`mod history | less`
 * from a terminal gets none), and never with NO_COLOR set (no-color.org).
 */
export function resultColour(mode: OutputMode, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode !== 'tty' || !stream.isTTY) return false;
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}
