/**
 * Whether the path after `/r/<route>` could climb out of the channel's base path. Upstreams and the
 * servers behind them disagree on what a separator is: some decode `%2f` (once or twice) before
 * splitting, Windows servers split on `\`, Java servlet containers drop `;params` from a segment.
 * So a segment that is `.` or `..` under any of those readings is refused, not only the literal one.
 */
export function climbsOut(rest: string): boolean {
  // Without a dot or an escape no reading can produce a `.` segment: the usual API path is
  // answered without splitting it (this runs on every proxied request).
  if (!rest.includes('.') && !rest.includes('%')) return false;
  let path = rest;
  // Up to three rounds of percent-decoding (`%252e%252e` is `..` to a server that decodes twice).
  for (let round = 0; round < 3; round++) {
    if (isDotPath(path)) return true;
    const decoded = decodeOnce(path);
    if (decoded === path) return false;
    path = decoded;
  }
  return isDotPath(path);
}

function isDotPath(path: string): boolean {
  for (const segment of path.split(/[/\\]/)) {
    // URL parsers drop tabs and line breaks anywhere, and control characters and spaces at the end.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is dropped
    const bare = segment.split(';', 1)[0]!.replace(/[\x00-\x20\x7f]/g, '');
    if (bare === '.' || bare === '..') return true;
  }
  return false;
}

/** Percent-decodes what decodes; a malformed escape (`%zz`, half a UTF-8 sequence) stays as it is. */
function decodeOnce(path: string): string {
  return path.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-9a-f]{2})/gi, (escape, hex: string) => {
        const byte = Number.parseInt(hex, 16);
        return byte < 0x80 ? String.fromCharCode(byte) : escape;
      });
    }
  });
}
