import type { JsonAnswer, ReadCall, ReadOp, ReadResults, SummaryCore, SummaryFacts } from './protocol.js';

/**
 * An answer as the HTTP server sends it: JSON.stringify, byte for byte what Fastify's default
 * serializer makes of the same object, done on the thread that read it.
 */
export function toJsonAnswer(call: ReadCall, value: ReadResults[ReadOp]): JsonAnswer & { json: string } {
  const json = JSON.stringify(value);
  return call.op === 'summary' ? { json, facts: summaryFacts(value as SummaryCore) } : { json };
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
