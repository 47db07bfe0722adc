import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentRecord, DatabaseFormat } from '../../../../../electron/sources/agents/format.js';
import { closeService, ledgerTotals, openService, removeTempDirs, tempDir, type Opened } from '../support.js';

const open: Opened[] = [];
afterEach(async () => {
  for (const opened of open.splice(0)) await closeService(opened);
  removeTempDirs();
});

/** A stand-in database format: the "database" is a JSON array of rows; the cursor is the next index. */
function fakeFormat(root: string, calls: unknown[]): DatabaseFormat {
  return {
    kind: 'database',
    id: 'opencode',
    databaseFile: 'opencode.db',
    roots: () => [root],
    readSince(databasePath, cursor, limit) {
      calls.push(cursor);
      const rows = JSON.parse(fs.readFileSync(databasePath, 'utf8')) as { id: string; output: number }[];
      const from = typeof cursor === 'number' ? cursor : 0;
      const slice = rows.slice(from, from + limit);
      const records: AgentRecord[] = slice.map((row) => ({ ts: Date.UTC(2026, 10, 1), model: 'kimi-k2', outputTokens: row.output, requestId: `opencode:${row.id}`, source: 'opencode' }));
      return { records, cursor: from + slice.length, done: from + slice.length >= rows.length };
    },
  };
}

function rows(count: number, offset = 0) {
  return Array.from({ length: count }, (_, index) => ({ id: `msg_${index + offset}`, output: 10 }));
}

async function start(dir: string, root: string, calls: unknown[]): Promise<Opened> {
  const opened = openService(dir, root);
  open.push(opened);
  opened.service.agents.sources.configure({ formats: { opencode: fakeFormat(root, calls) } });
  opened.service.agents.start();
  await opened.service.setAgentSource({ id: 'opencode', enabled: true });
  await opened.service.agents.sources.whenImported('opencode');
  return opened;
}

describe('following a database-backed agent', () => {
  it('imports in batches of at most 1,000, resumes from its cursor after a restart, restarts on a replaced file', async () => {
    const root = tempDir();
    const db = path.join(root, 'opencode.db');
    fs.writeFileSync(db, JSON.stringify(rows(2_500)));
    const dir = tempDir();
    const calls: unknown[] = [];
    const first = await start(dir, root, calls);
    expect(calls).toEqual([undefined, 1_000, 2_000]);
    expect(ledgerTotals(first.ledger)['kimi-k2']!.requests).toBe(2_500);
    open.splice(0);
    await closeService(first);

    // Grown while off: only the new rows are asked for.
    fs.writeFileSync(db, JSON.stringify([...rows(2_500), ...rows(10, 2_500)]));
    calls.length = 0;
    const second = await start(dir, root, calls);
    expect(calls).toEqual([2_500]);
    expect(ledgerTotals(second.ledger)['kimi-k2']!.requests).toBe(2_510);

    // Replaced by another file: read from the start, nothing counted twice.
    fs.writeFileSync(`${db}.new`, JSON.stringify(rows(2_511)));
    fs.renameSync(`${db}.new`, db);
    calls.length = 0;
    await second.service.agents.sources.follower('opencode')!.poke();
    expect(calls[0]).toBeUndefined();
    expect(ledgerTotals(second.ledger)['kimi-k2']!.requests).toBe(2_511);
  });
});
