/**
 * A bound on the shape of a JSON body, checked before JSON.parse sees it. V8's parser is fast on
 * flat data but not on some legal shapes: 10 MB of nested brackets takes seconds, 1 MB of "{}"
 * about 100 ms, all of it on the event loop. No API body needs more than a few levels, a few
 * thousand objects or a thousand members in one object, so anything past these limits is refused by
 * one linear pass over the bytes, before any parsing.
 */
export const JSON_LIMITS = {
  /** Nesting depth: `{ "records": [ { ... } ] }` is 3; pricing tiers and settings are 3-4. */
  depth: 32,
  /** Objects and arrays in the whole document: a full ingest batch is ~5,000. */
  containers: 20_000,
  /** Values in the whole document (members and elements): a full ingest batch is at most 75,000. */
  values: 100_000,
  /** Members of one object: a record has 15 fields, currency rates a few hundred. */
  members: 1_000,
} as const;

export type JsonLimits = { readonly [K in keyof typeof JSON_LIMITS]: number };

/**
 * A forwarded batch (POST /forward) carries up to 5,000 full request records (about 24 values each)
 * plus 1,000 runs and 1,000 circuit states: more values than an ingest batch, the same shape otherwise.
 */
export const FORWARD_JSON_LIMITS: JsonLimits = { ...JSON_LIMITS, values: 200_000 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const UNDERSCORE = 0x5f;
const LOWER_C = 0x63;
const RECORDS_KEY = Buffer.from('"records"');

/**
 * Where a body may be parsed piece by piece (json-reader.ts): its top-level array, or the array of a
 * `{ "records": [...] }` body with no other member, cut at commas between elements.
 */
export interface JsonPieces {
  /** The body is `{ "records": [...] }` rather than `[...]`. */
  wrapped: boolean;
  /** [start, end) offsets in the body of each piece's elements, the commas between pieces left out. */
  bounds: number[];
}

export interface JsonScan {
  /** Why the shape is refused, or null when it is within the limits (its syntax is not checked). */
  problem: string | null;
  /**
   * A string equal to "__proto__" or "constructor" (escapes read): such a body takes the parser that
   * refuses prototype poisoning, which needs to see the whole document.
   */
  reservedName: boolean;
  /** Null when the body cannot be cut, or is not longer than one piece. */
  pieces: JsonPieces | null;
}

/**
 * One pass over a body's bytes, as they arrived (chunks, in order): its shape against the limits,
 * whether it names a reserved property, and where its records may be cut every `pieceBytes` bytes.
 * Bytes, not text: a body decoded whole is one string, and past 128 KiB V8 maps a string of its own
 * in fresh pages (a 250 KB batch costs ~1 ms of page faults on the machines we run on).
 */
export function scanJson(chunks: readonly Uint8Array[], limits: JsonLimits = JSON_LIMITS, pieceBytes = Number.POSITIVE_INFINITY): JsonScan {
  let depth = 0;
  let containers = 0;
  let values = 0;
  // Members of the open objects, innermost last (-1 for arrays, which are counted in `values` only).
  const members: number[] = [];
  let inString = false;
  let escape = false;
  let stringStart = 0;
  let stringEscaped = false;
  let reservedName = false;
  // The array whose elements may be cut: its depth once open (0: none), where it opened and closed.
  const prefix = arrayPrefix(chunks[0]);
  const elementDepth = prefix === null ? 0 : prefix.depth;
  const bounds: number[] = prefix === null ? [] : [prefix.open + 1];
  let arrayEnd = -1;
  let offset = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      if (inString) {
        if (escape) {
          escape = false;
          continue;
        }
        // Most of a body is string contents: a tight loop to the next quote or backslash.
        let c = chunk[i]!;
        while (c !== QUOTE && c !== BACKSLASH && ++i < chunk.length) c = chunk[i]!;
        if (i === chunk.length) break;
        if (c === BACKSLASH) escape = stringEscaped = true;
        else {
          inString = false;
          const length = offset + i - stringStart;
          // Most strings are not 9 or 11 bytes long, or start with neither "_" nor "c".
          if (length === 9 || length === 11 || (stringEscaped && length <= 66)) {
            const first = stringStart >= offset ? chunk[stringStart - offset] : -1;
            if ((stringEscaped || first === -1 || first === UNDERSCORE || first === LOWER_C) && isReservedName(chunks, stringStart, offset + i)) reservedName = true;
          }
        }
        continue;
      }
      const c = chunk[i]!;
      if (c === QUOTE) {
        inString = true;
        stringStart = offset + i + 1;
        stringEscaped = false;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (++depth > limits.depth) return refused(`the JSON is nested deeper than ${limits.depth} levels`);
        if (++containers > limits.containers) return refused(`the JSON holds more than ${limits.containers} objects and arrays`);
        values++;
        members.push(c === OPEN_OBJECT ? 1 : -1);
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (depth-- === elementDepth && arrayEnd === -1) arrayEnd = c === CLOSE_ARRAY ? offset + i : -2;
        members.pop();
      } else if (c === COMMA) {
        if (++values > limits.values) return refused(`the JSON holds more than ${limits.values} values`);
        const top = members.length - 1;
        if (top >= 0 && members[top]! >= 0 && ++members[top]! > limits.members) return refused(`a JSON object has more than ${limits.members} members`);
        if (depth === elementDepth && arrayEnd === -1 && offset + i - bounds[bounds.length - 1]! >= pieceBytes) bounds.push(offset + i, offset + i + 1);
      }
    }
    offset += chunk.length;
  }
  const cut = prefix !== null && bounds.length > 1 && arrayEnd >= 0 && onlyClosing(chunks, arrayEnd + 1, prefix.depth === 2);
  return { problem: null, reservedName, pieces: cut ? { wrapped: prefix.depth === 2, bounds: [...bounds, arrayEnd] } : null };
}

function refused(problem: string): JsonScan {
  return { problem, reservedName: false, pieces: null };
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The array a body opens with, in its first chunk: `[` (elements at depth 1), or `{ "records": [`
 * (depth 2); null for anything else (a leading byte-order mark included).
 */
function arrayPrefix(chunk: Uint8Array | undefined): { depth: 1 | 2; open: number } | null {
  if (chunk === undefined) return null;
  let i = 0;
  const skip = () => {
    while (i < chunk.length && isWhitespace(chunk[i]!)) i++;
  };
  skip();
  if (chunk[i] === OPEN_ARRAY) return { depth: 1, open: i };
  if (chunk[i] !== OPEN_OBJECT) return null;
  i++;
  skip();
  for (const byte of RECORDS_KEY) if (chunk[i++] !== byte) return null;
  skip();
  if (chunk[i++] !== COLON) return null;
  skip();
  return chunk[i] === OPEN_ARRAY ? { depth: 2, open: i } : null;
}

/** Whether the bytes from `from` to the end are whitespace, with one `}` among them when `brace`. */
function onlyClosing(chunks: readonly Uint8Array[], from: number, brace: boolean): boolean {
  let offset = 0;
  let braces = 0;
  for (const chunk of chunks) {
    for (let i = Math.max(0, from - offset); i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === CLOSE_OBJECT && brace && braces === 0) braces++;
      else if (!isWhitespace(c)) return false;
    }
    offset += chunk.length;
  }
  return braces === (brace ? 1 : 0);
}

/** The bytes [start, end) of the body, as text. */
export function bodyText(chunks: readonly Uint8Array[], start: number, end: number): string {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + chunk.length);
    if (from < to) parts.push(chunk.subarray(from - offset, to - offset));
    offset += chunk.length;
    if (offset >= end) break;
  }
  // A character may be split between two chunks: decoded once, from one buffer.
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Whether the string token at [start, end) reads "__proto__" or "constructor". */
function isReservedName(chunks: readonly Uint8Array[], start: number, end: number): boolean {
  let name: unknown;
  try {
    name = JSON.parse(`"${bodyText(chunks, start, end)}"`);
  } catch {
    // A broken escape: the document fails to parse anyway, with the whole-text parser's message.
    return true;
  }
  return name === '__proto__' || name === 'constructor';
}
