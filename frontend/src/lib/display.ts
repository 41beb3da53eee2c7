/**
 * How text a client sent (a filename, a column name, a message quoting a value) is shown on the page.
 *
 * The API returns such text exactly as recorded (a filename as the client sent it), so programs can match it; every
 * client shows it through one function at the moment it displays it: this one on the page, `backend/display.py`
 * (which this mirrors) in the command line. One function at the point of display rather than a display copy of each
 * field in the API, because the same hazard is in every string that came from a file, whichever field holds it.
 *
 * React already escapes HTML, so nothing here is about markup: C0 and C1 control characters and DEL (invisible on a
 * page, but they travel on when a name is copied into a terminal), the Unicode line and paragraph separators, and
 * the bidirectional controls, which make "evil<U+202E>txt.exe" look like "evilexe.txt", become visible escapes
 * (`\t`, `\n`, `\r`, `\xNN`, `\uNNNN`). Any script, emoji with their zero-width joiners included, shows as it is.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SHOWN_ESCAPED = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}

/** `text` with every character that would act on a terminal or reorder a line shown as an escape. */
export function displayText(text: string): string {
  return text.replace(SHOWN_ESCAPED, (char) => {
    const code = char.charCodeAt(0);
    return NAMED[char] ?? (code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
  });
}

/**
 * A long name shortened in the middle to at most `max` characters (code points), keeping its end, where the
 * extension and the distinguishing suffix usually are: "quarterly-sales-…-2026-03.csv". Pages show it with the
 * full name in a tooltip.
 */
export function shortenMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const tail = Math.min(Math.floor((max - 1) / 3), 24);
  return `${chars.slice(0, max - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/** A filename as a heading or a link shows it: escaped, and shortened when long; `title` holds it whole. */
export function displayFilename(filename: string, max = 80): { text: string; title: string } {
  const title = displayText(filename);
  return { text: shortenMiddle(title, max), title };
}
