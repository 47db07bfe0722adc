/**
 * Finds the values of chosen top-level keys of a JSON object without parsing the whole document.
 *
 * Request bodies carry whole conversations (often hundreds of KB) while the proxy needs two or three
 * small fields; string contents are skipped with the native `indexOf`, so the cost is close to one
 * memchr over the body. Structure is checked only as far as finding keys needs: the values of the
 * keys asked for are parsed by the caller with JSON.parse.
 */

export interface ValueRange {
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function skipSpace(buf: Buffer, pos: number): number {
  while (pos < buf.length && isSpace(buf[pos])) pos++;
  return pos;
}

/** `pos` is at an opening quote; returns the index after the closing quote, or -1. */
function skipString(buf: Buffer, pos: number): number {
  let from = pos + 1;
  while (true) {
    const quote = buf.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let i = quote - 1; i > pos && buf[i] === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** `pos` is at the first byte of a value; returns the index after it, or -1. */
function skipValue(buf: Buffer, pos: number): number {
  const first = buf[pos];
  if (first === QUOTE) return skipString(buf, pos);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let i = pos;
    while (i < buf.length) {
      const byte = buf[i];
      if (byte === QUOTE) {
        i = skipString(buf, i);
        if (i < 0) return -1;
        continue;
      }
      if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  let i = pos;
  while (i < buf.length) {
    const byte = buf[i];
    if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isSpace(byte)) break;
    i++;
  }
  return i > pos ? i : -1;
}

export interface ScanResult {
  /** Index of the opening brace of the top-level object. */
  objectStart: number;
  /** The last occurrence of each wanted key (JSON.parse keeps the last duplicate too). */
  values: Map<string, ValueRange>;
}

/** Null when `buf` is not a JSON object (as far as the scan can tell). */
export function scanTopLevel(buf: Buffer, wanted: readonly string[] | ReadonlySet<string>): ScanResult | null {
  const isWanted = (key: string) => ('has' in wanted ? wanted.has(key) : wanted.includes(key));
  let pos = skipSpace(buf, 0);
  if (buf[pos] !== OPEN_BRACE) return null;
  const objectStart = pos;
  const values = new Map<string, ValueRange>();
  pos = skipSpace(buf, pos + 1);
  if (buf[pos] === CLOSE_BRACE) return skipSpace(buf, pos + 1) === buf.length ? { objectStart, values } : null;
  while (true) {
    if (buf[pos] !== QUOTE) return null;
    const keyEnd = skipString(buf, pos);
    if (keyEnd < 0) return null;
    const key = readKey(buf, pos, keyEnd);
    pos = skipSpace(buf, keyEnd);
    if (buf[pos] !== COLON) return null;
    pos = skipSpace(buf, pos + 1);
    const valueEnd = skipValue(buf, pos);
    if (valueEnd < 0) return null;
    if (key !== null && isWanted(key)) values.set(key, { start: pos, end: valueEnd });
    pos = skipSpace(buf, valueEnd);
    if (buf[pos] === COMMA) {
      pos = skipSpace(buf, pos + 1);
      continue;
    }
    if (buf[pos] === CLOSE_BRACE) return skipSpace(buf, pos + 1) === buf.length ? { objectStart, values } : null;
    return null;
  }
}

function readKey(buf: Buffer, start: number, end: number): string | null {
  // Keys with escapes are rare; let JSON.parse decode them exactly.
  const backslash = buf.indexOf(BACKSLASH, start);
  if (backslash >= 0 && backslash < end) {
    try {
      const key: unknown = JSON.parse(buf.toString('utf8', start, end));
      return typeof key === 'string' ? key : null;
    } catch {
      return null;
    }
  }
  return buf.toString('utf8', start + 1, end - 1);
}

/** JSON.parse of a slice, or undefined when it is not valid JSON. */
export function parseRange(buf: Buffer, range: ValueRange): unknown {
  try {
    return JSON.parse(buf.toString('utf8', range.start, range.end)) as unknown;
  } catch {
    return undefined;
  }
}
