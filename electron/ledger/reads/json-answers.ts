import type { JsonAnswer, ReadCall, ReadOp, ReadResults, SummaryCore, SummaryFacts } from './protocol.js';

/**
 * An answer as the HTTP server sends it: JSON.stringify, byte for byte what Fastify's default
 * serializer makes of the same object, done on the thread that read it.
 */
export function toJsonAnswer(call: ReadCall, value: ReadResults[ReadOp]): JsonAnswer & { json: string } {
  const json = JSON.stringify(value);
  return call.op === 'summary' ? { json, facts: summaryFacts(value as SummaryCore) } : { json };
}

/**
 * JSON.stringify(value) as UTF-8 bytes, byte for byte, in a buffer of its own (transferable). A big
 * answer is one long array (a history's buckets, a page of requests): stringified whole, V8 returns a
 * rope of parts that must be flattened before it can be encoded, and TextEncoder then allocates three
 * bytes per character; for a 365 KB history those two cost more than the stringify itself. Here each
 * element of a top-level array is stringified alone (a flat string), and the parts are written once
 * into a buffer of the exact size, which `alloc` gives (the read worker's come from AnswerBuffers).
 */
export function jsonBytes(value: unknown, alloc: (size: number) => Buffer = Buffer.allocUnsafeSlow): Buffer {
  const parts: string[] = [];
  const array = (items: readonly unknown[]) => {
    parts.push('[');
    for (let i = 0; i < items.length; i++) {
      if (i > 0) parts.push(',');
      // As JSON.stringify writes an array element it cannot represent (undefined, a function).
      parts.push(JSON.stringify(items[i]) ?? 'null');
    }
    parts.push(']');
  };
  if (Array.isArray(value)) {
    array(value);
  } else if (typeof value === 'object' && value !== null && !('toJSON' in value)) {
    parts.push('{');
    let first = true;
    for (const [key, field] of Object.entries(value)) {
      const text = Array.isArray(field) ? null : JSON.stringify(field);
      // Left out as JSON.stringify leaves out undefined (and function) values.
      if (text === undefined) continue;
      parts.push(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
      first = false;
      if (text === null) array(field as unknown[]);
      else parts.push(text);
    }
    parts.push('}');
  } else {
    parts.push(JSON.stringify(value) ?? '');
  }
  let size = 0;
  for (const part of parts) size += Buffer.byteLength(part);
  const out = alloc(size);
  let offset = 0;
  for (const part of parts) offset += out.write(part, offset, 'utf8');
  return out;
}

/** The few fields of a summary the main thread adds from (conversion, savings). */
export function summaryFacts(summary: SummaryCore): SummaryFacts {
  return { from: summary.from, to: summary.to, cost: summary.totals.cost, models: summary.models.map(({ model, cost }) => ({ model, cost })) };
}

/**
 * `core` (a summary's JSON text) with `fields` appended as its last keys, as `{ ...core, ...fields }`
 * would serialise: the text is never parsed again. Undefined fields are left out, as JSON.stringify
 * leaves them out; `core` must hold none of their keys (SummaryCore has neither `converted` nor
 * `savings`).
 */
export function appendFields(core: string, fields: Record<string, unknown>): string {
  let tail = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    tail += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  if (tail === '') return core;
  if (!core.endsWith('}')) throw new Error('appendFields needs a JSON object');
  // An empty object would get a leading comma; a summary always has from, to, totals...
  return core === '{}' ? `{${tail.slice(1)}}` : `${core.slice(0, -1)}${tail}}`;
}
