import fs from 'node:fs';
import path from 'node:path';
import type { AgentRecord, JsonlFormat } from '../../../../../electron/sources/agents/format.js';

/** Per-key sums of a format's records, in the record's own terms. */
export interface Totals { requests: number; input: number; output: number; cacheRead: number; cacheWrite: number }

/** What the ledger keeps: one row per requestId (the first), summed per key (the model unless told). */
export function totals(records: readonly AgentRecord[], key: (record: AgentRecord) => string = (record) => record.model): Record<string, Totals> {
  const seen = new Set<string>();
  const out: Record<string, Totals> = {};
  for (const record of records) {
    if (seen.has(record.requestId)) continue;
    seen.add(record.requestId);
    const row = (out[key(record)] ??= { requests: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
    row.requests += 1;
    row.input += record.inputTokens ?? 0;
    row.output += record.outputTokens ?? 0;
    row.cacheRead += record.cacheReadTokens ?? 0;
    row.cacheWrite += record.cacheWriteTokens ?? 0;
  }
  return out;
}

/** Readers of the line-based fixture files under `root` (paths relative to it, as the follower hands them over). */
export function fixtureReader(root: string) {
  function lines(relative: string): string[] {
    return fs.readFileSync(path.join(root, relative), 'utf8').split('\n').filter((line) => line !== '');
  }

  /** Feeds a file in one pass, or in two with a checkpoint (after a flush, as the follower does) between. */
  function read(format: JsonlFormat, relative: string, splitAt?: number): AgentRecord[] {
    const all = lines(relative);
    const cut = splitAt ?? all.length;
    let parser = format.openFile(relative, undefined);
    const out: AgentRecord[] = [];
    for (const line of all.slice(0, cut)) out.push(...parser.line(line));
    out.push(...parser.flush());
    if (cut < all.length) {
      parser = format.openFile(relative, JSON.parse(JSON.stringify(parser.checkpoint())));
      for (const line of all.slice(cut)) out.push(...parser.line(line));
      out.push(...parser.flush());
    }
    return out;
  }

  /** The file read in one pass, and read resumed from a checkpoint after each of its lines but the last. */
  function readAtEveryCut(format: JsonlFormat, relative: string): { single: AgentRecord[]; resumed: AgentRecord[][] } {
    const single = read(format, relative);
    const resumed: AgentRecord[][] = [];
    for (let cut = 1; cut < lines(relative).length; cut++) resumed.push(read(format, relative, cut));
    return { single, resumed };
  }

  return { lines, read, readAtEveryCut };
}
