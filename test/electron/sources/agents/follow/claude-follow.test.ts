import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JsonlFollower } from '../../../../../electron/sources/agents/follow/jsonl-follower.js';
import type { LedgerEvent } from '../../../../../shared/types.js';
import { claudeConfigCopy, closeService, independentTotals, jsonlFiles, ledgerTotals, openService, removeTempDirs, tempDir, type Opened } from '../support.js';

const SHOP = 'projects/-home-dev-shop';
const S1 = `${SHOP}/5d9f1c2e-1111-4a3b-9c1d-0a1b2c3d4e01.jsonl`;
const S3 = 'projects/-home-dev-api/7e0a2b3c-3333-4d5e-8f90-1a2b3c4d5e03.jsonl';

const open: Opened[] = [];
afterEach(async () => {
  for (const opened of open.splice(0)) await closeService(opened);
  removeTempDirs();
});

/** An assistant message as Claude Code writes it: one line per content block, usage growing. */
function message(id: string, model: string, output: number[], ts: string, extra: Record<string, unknown> = {}): string {
  return output
    .map((out, index) =>
      JSON.stringify({
        parentUuid: null,
        isSidechain: false,
        cwd: '/home/dev/api',
        sessionId: '7e0a2b3c-3333-4d5e-8f90-1a2b3c4d5e03',
        version: '2.0.14',
        gitBranch: 'feature/auth',
        message: { model, id, type: 'message', role: 'assistant', content: [{ type: 'text', text: `part ${index}` }], usage: { input_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000, output_tokens: out } },
        requestId: `req_${id}`,
        type: 'assistant',
        uuid: `${id}-${index}`,
        timestamp: new Date(Date.parse(ts) + index * 1000).toISOString(),
        ...extra,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

async function start(dir: string, config: string, timing?: Parameters<typeof openService>[2]): Promise<Opened & { follower: JsonlFollower }> {
  const opened = openService(dir, config, timing);
  open.push(opened);
  opened.service.agents.start();
  await opened.service.setAgentSource({ id: 'claude-code', enabled: true });
  await opened.service.agents.sources.whenImported('claude-code');
  const follower = opened.service.agents.sources.follower('claude-code') as JsonlFollower;
  return { ...opened, follower };
}

async function stop(opened: Opened): Promise<void> {
  open.splice(open.indexOf(opened), 1);
  await closeService(opened);
}

describe('following Claude Code logs', () => {
  it('imports the backlog with progress, once per call, then the lines appended later', async () => {
    const config = claudeConfigCopy();
    const dir = tempDir();
    const events: LedgerEvent[] = [];
    const opened = openService(dir, config);
    open.push(opened);
    opened.service.events.subscribe((event) => events.push(event));
    opened.service.agents.start();
    await opened.service.setAgentSource({ id: 'claude-code', enabled: true });
    await opened.service.agents.sources.whenImported('claude-code');

    expect(ledgerTotals(opened.ledger)).toEqual(independentTotals(jsonlFiles(config)));
    const progress = events.flatMap((event) => (event.type === 'agents' ? [event.progress] : []));
    expect(progress[0]).toMatchObject({ state: 'importing', filesTotal: 4 });
    expect(progress.at(-1)).toMatchObject({ state: 'following', filesDone: 4, filesTotal: 4, records: 7 });
    expect(progress.at(-1)!.bytesDone).toBe(jsonlFiles(config).reduce((sum, file) => sum + fs.statSync(file).size, 0));

    // Looking again with nothing new says nothing (open views are not woken every poll).
    const quiet = events.length;
    await opened.service.agents.sources.follower('claude-code')!.poke();
    await opened.service.agents.sources.follower('claude-code')!.poke();
    expect(events.length).toBe(quiet);

    fs.appendFileSync(path.join(config, S3), message('msg_01NEW1', 'claude-sonnet-4-5-20250929', [3, 90, 400], '2026-11-23T08:00:00.000Z'));
    await opened.service.agents.sources.follower('claude-code')!.poke();
    expect(ledgerTotals(opened.ledger)).toEqual(independentTotals(jsonlFiles(config)));
    const [source] = (await opened.service.listAgentSources()).filter((item) => item.id === 'claude-code');
    expect(source).toMatchObject({ enabled: true, status: { state: 'following' }, records: 8, lastRecordAt: Date.parse('2026-11-23T08:00:00.000Z') });
  });

  it('waits for a half-written last line and reads it once it is complete', async () => {
    const config = claudeConfigCopy();
    const run = await start(tempDir(), config);
    const before = ledgerTotals(run.ledger);
    const line = message('msg_01HALF', 'claude-haiku-4-5-20251001', [55], '2026-11-23T09:00:00.000Z');
    fs.appendFileSync(path.join(config, S3), line.slice(0, 100));
    await run.follower.poke();
    expect(ledgerTotals(run.ledger)).toEqual(before);
    fs.appendFileSync(path.join(config, S3), line.slice(100));
    await run.follower.poke();
    expect(ledgerTotals(run.ledger)['claude-haiku-4-5-20251001']!.outputTokens).toBe(before['claude-haiku-4-5-20251001']!.outputTokens + 55);
  });

  it('counts a file as quiet in the very millisecond of its modification time', async () => {
    // Recent kernels stamp files with sub-millisecond times; Date.now() drops the fraction, so a look
    // taken in that same millisecond must not find the file "modified in the future" and hold it.
    const config = claudeConfigCopy();
    const run = await start(tempDir(), config);
    const before = ledgerTotals(run.ledger);
    const file = path.join(config, S3);
    fs.appendFileSync(file, message('msg_01SAMEMS', 'claude-haiku-4-5-20251001', [21], '2026-11-23T10:00:00.000Z'));
    const millisecond = Date.now() - 1;
    fs.utimesSync(file, millisecond / 1000, (millisecond + 0.75) / 1000);
    const clock = vi.spyOn(Date, 'now').mockReturnValue(millisecond);
    try {
      await run.follower.poke();
    } finally {
      clock.mockRestore();
    }
    expect(ledgerTotals(run.ledger)['claude-haiku-4-5-20251001']!.outputTokens).toBe(before['claude-haiku-4-5-20251001']!.outputTokens + 21);
  });

  it('resumes after a restart without reading the files again, and counts nothing twice', async () => {
    const config = claudeConfigCopy();
    const dir = tempDir();
    const first = await start(dir, config);
    expect(first.follower.counters.bytesRead).toBeGreaterThan(0);
    await stop(first);

    const appended = message('msg_01AFTER', 'claude-opus-4-1-20250805', [10, 20], '2026-11-24T08:00:00.000Z');
    fs.appendFileSync(path.join(config, S1), appended);
    const second = await start(dir, config);
    // Only the bytes appended while ModelMeter was off were read.
    expect(second.follower.counters.bytesRead).toBe(Buffer.byteLength(appended));
    expect(ledgerTotals(second.ledger)).toEqual(independentTotals(jsonlFiles(config)));
  });

  it('takes the backlog as written, then never checkpoints past a message that may still be streaming', async () => {
    const config = claudeConfigCopy();
    const dir = tempDir();
    // The first pass releases what files hold even when they were written just now: the import's
    // totals are complete when it ends, and every file has its cursor.
    const busy = await start(dir, config, { pollMs: 60_000, quietMs: 60_000, progressMs: 0 });
    expect(ledgerTotals(busy.ledger)).toEqual(independentTotals(jsonlFiles(config)));
    expect(busy.ledger.db.prepare('SELECT count(*) AS n FROM agent_cursors').get()).toEqual({ n: 4 });
    const cursorOf = () => busy.ledger.db.prepare('SELECT "offset" AS at FROM agent_cursors WHERE path LIKE ?').get(`%${path.basename(S3)}`);
    const before = cursorOf();

    // While following, the first copy of a message being streamed is held: not stored, not checkpointed.
    const file = path.join(config, S3);
    const streamed = message('msg_01STREAMING', 'claude-sonnet-4-5-20250929', [3, 40, 412], '2026-11-27T08:00:00.000Z').split('\n');
    fs.appendFileSync(file, `${streamed[0]}\n`);
    await busy.follower.poke();
    expect(ledgerTotals(busy.ledger)['claude-sonnet-4-5-20250929']?.requests ?? 0).toBe(independentTotals(jsonlFiles(config))['claude-sonnet-4-5-20250929']!.requests - 1);
    expect(cursorOf()).toEqual(before);
    await stop(busy);

    // The later copies arrive while ModelMeter is stopped: after the restart the message counts once, with its final usage.
    fs.appendFileSync(file, `${streamed.slice(1).join('\n')}`);
    const quiet = await start(dir, config);
    expect(ledgerTotals(quiet.ledger)).toEqual(independentTotals(jsonlFiles(config)));
    const row = quiet.ledger.db.prepare("SELECT output_tokens AS output FROM requests r JOIN response_ids q ON q.id = r.id WHERE q.value = 'msg_01STREAMING'").get();
    expect(row).toEqual({ output: 412 });
  });

  it('re-reads a truncated file from the start, and a replaced one', async () => {
    const config = claudeConfigCopy();
    const run = await start(tempDir(), config);
    const file = path.join(config, S3);
    const original = fs.readFileSync(file, 'utf8');
    // Truncated and rewritten shorter: the old calls stay, the new one is added.
    fs.writeFileSync(file, message('msg_01TRUNC', 'claude-haiku-4-5-20251001', [5], '2026-11-25T08:00:00.000Z'));
    await run.follower.poke();
    const afterTruncate = ledgerTotals(run.ledger);
    expect(afterTruncate['claude-haiku-4-5-20251001']!.requests).toBe(3);
    // Replaced by another file (new inode) holding the original lines again: nothing counted twice.
    fs.writeFileSync(`${file}.tmp`, original + message('msg_01REPL', 'claude-haiku-4-5-20251001', [6], '2026-11-25T09:00:00.000Z'));
    fs.renameSync(`${file}.tmp`, file);
    await run.follower.poke();
    const totals = ledgerTotals(run.ledger);
    expect(totals['claude-haiku-4-5-20251001']!.requests).toBe(4);
    expect(totals['glm-4.6']!.requests).toBe(1);
  });

  it('follows a rotated file (renamed, new file at the old path) without re-reading the renamed one', async () => {
    const config = claudeConfigCopy();
    const run = await start(tempDir(), config);
    const file = path.join(config, S3);
    fs.renameSync(file, `${file.slice(0, -'.jsonl'.length)}-old.jsonl`);
    const fresh = message('msg_01ROT', 'claude-sonnet-4-5-20250929', [9, 99], '2026-11-26T08:00:00.000Z');
    fs.writeFileSync(file, fresh);
    const read = run.follower.counters.bytesRead;
    await run.follower.poke();
    expect(run.follower.counters.bytesRead - read).toBe(Buffer.byteLength(fresh));
    expect(ledgerTotals(run.ledger)).toEqual(independentTotals(jsonlFiles(config)));
  });

  it('keeps every imported row when a transcript is deleted', async () => {
    const config = claudeConfigCopy();
    const run = await start(tempDir(), config);
    const before = ledgerTotals(run.ledger);
    fs.rmSync(path.join(config, S1));
    fs.rmSync(path.join(config, SHOP, '5d9f1c2e-1111-4a3b-9c1d-0a1b2c3d4e01'), { recursive: true });
    await run.follower.poke();
    expect(ledgerTotals(run.ledger)).toEqual(before);
    expect(run.ledger.db.prepare('SELECT count(*) AS n FROM agent_cursors').get()).toEqual({ n: 2 });
  });

  it('switching off stops following and keeps the data; the switch is remembered', async () => {
    const config = claudeConfigCopy();
    const dir = tempDir();
    const run = await start(dir, config);
    const before = ledgerTotals(run.ledger);
    const off = await run.service.setAgentSource({ id: 'claude-code', enabled: false });
    expect(off).toMatchObject({ enabled: false, status: { state: 'off' }, records: 7 });
    fs.appendFileSync(path.join(config, S3), message('msg_01OFF', 'claude-haiku-4-5-20251001', [1], '2026-11-27T08:00:00.000Z'));
    expect(run.service.agents.sources.follower('claude-code')).toBeUndefined();
    expect(ledgerTotals(run.ledger)).toEqual(before);
    await stop(run);

    const again = openService(dir, config);
    open.push(again);
    again.service.agents.start();
    expect(again.service.agents.sources.follower('claude-code')).toBeUndefined();
  });

  it('notices appended lines through file events, without waiting for the poll', async () => {
    const config = claudeConfigCopy();
    const opened = openService(tempDir(), config, { pollMs: 60_000, quietMs: 0, progressMs: 0, debounceMs: 20 });
    open.push(opened);
    opened.service.agents.sources.configure({ watch: true });
    opened.service.agents.start();
    await opened.service.setAgentSource({ id: 'claude-code', enabled: true });
    await opened.service.agents.sources.whenImported('claude-code');
    fs.appendFileSync(path.join(config, S3), message('msg_01WATCH', 'claude-haiku-4-5-20251001', [4, 44], '2026-11-28T08:00:00.000Z'));
    await expect.poll(() => ledgerTotals(opened.ledger)['claude-haiku-4-5-20251001']?.requests, { timeout: 5_000 }).toBe(3);
  });

  it('drops a record the ledger cannot store and imports the rest of the file', async () => {
    const config = claudeConfigCopy();
    fs.appendFileSync(
      path.join(config, S3),
      message('msg_01BAD', 'bad\u0000model', [5], '2026-11-29T08:00:00.000Z') + message('msg_01GOOD', 'claude-haiku-4-5-20251001', [6], '2026-11-29T09:00:00.000Z'),
    );
    const run = await start(tempDir(), config);
    const totals = ledgerTotals(run.ledger);
    expect(Object.keys(totals)).not.toContain('bad\u0000model');
    expect(totals['claude-haiku-4-5-20251001']!.requests).toBe(3);
    expect(run.follower.progress.state).toBe('following');
  });
});
