/**
 * A bound on the shape of a JSON body, checked before JSON.parse sees it. V8's parser is fast on
 * flat data but not on some legal shapes: 10 MB of nested brackets takes seconds, 1 MB of "{}"
 * about 100 ms, all of it on the event loop. No API body needs more than a few levels, a few
 * thousand objects or a thousand members in one object, so anything past these limits is refused by
 * one linear pass over the text, before any parsing.
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

/** Why the text's shape is refused, or null when it is within the limits (its syntax is not checked). */
export function jsonShapeProblem(text: string, limits: JsonLimits = JSON_LIMITS): string | null {
  let depth = 0;
  let containers = 0;
  let values = 0;
  // Members of the open objects, innermost last (-1 for arrays, which are counted in `values` only).
  const members: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Most of a body is string contents: jump to the closing quote (one not escaped by an odd
      // run of backslashes) with indexOf, which is several times faster than stepping through it.
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return null;
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.depth) return `the JSON is nested deeper than ${limits.depth} levels`;
      if (++containers > limits.containers) return `the JSON holds more than ${limits.containers} objects and arrays`;
      values++;
      members.push(c === OPEN_OBJECT ? 1 : -1);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      members.pop();
    } else if (c === COMMA) {
      if (++values > limits.values) return `the JSON holds more than ${limits.values} values`;
      const top = members.length - 1;
      if (top >= 0 && members[top]! >= 0 && ++members[top]! > limits.members) {
        return `a JSON object has more than ${limits.members} members`;
      }
    }
  }
  return null;
}

/** Whether the quote at `at` is escaped: preceded by an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (at - backslashes - 1 >= 0 && text.charCodeAt(at - backslashes - 1) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}
