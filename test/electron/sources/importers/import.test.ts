import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { importDatabase, detectFormat, ImportError, type ImportProgress } from '../../../../electron/sources/importers/index.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import type { Summary } from '../../../../shared/types.js';
import {
  buildCcx,
  buildTablesLayout,
  buildUnifiedLayout,
  CCX_KEYS,
  GLM_HOURLY,
  llmManagerCost,
  MODEL_CN,
  MODEL_GLM,
  MODEL_OLD,
  MODEL_QWEN,
  NOW,
  OLD_TIERS,
  QWEN_TIERS,
  removeTempDirs,
  tempDir,
  type LlmRequest,
} from './fixtures.js';

const ledgers: Ledger[] = [];
function freshService(now = NOW): LedgerService {
  const ledger = Ledger.open(':memory:', { now: () => now });
  ledgers.push(ledger);
  return new LedgerService(ledger);
}
afterEach(() => {
  for (const ledger of ledgers.splice(0)) ledger.close();
});
afterAll(() => removeTempDirs());

async function everything(service: LedgerService): Promise<Summary> {
  return service.getSummary({ from: 0, to: NOW + 1 });
}

function sums(requests: readonly LlmRequest[]) {
  return {
    requests: requests.length,
    inputTokens: requests.reduce((sum, r) => sum + r.promptN, 0),
    cacheReadTokens: requests.reduce((sum, r) => sum + r.cacheN, 0),
    outputTokens: requests.reduce((sum, r) => sum + r.output, 0),
    cacheWriteTokens: 0,
  };
}

function modelRow(summary: Summary, model: string) {
  const row = summary.models.find((m) => m.model === model);
  if (!row) throw new Error(`no summary row for ${model}`);
  return row;
}

/** Everything a ledger holds that an import could have changed. */
async function snapshot(service: LedgerService) {
  return {
    summary: await everything(service),
    runs: await service.listRuns({ limit: 10_000 }),
    pricing: await service.listPricing(),
    circuits: await service.listCircuits({}),
  };
}

describe('LLM-Manager, table set per model', () => {
  it('brings every model\'s tokens, prices and runs, and bills what LLM-Manager billed', async () => {
    const fixture = buildTablesLayout(tempDir());
    const service = freshService();
    const report = await importDatabase(service, fixture.file);

    expect(report.format).toBe('llm-manager-tables');
    expect(report.models).toEqual([MODEL_CN, MODEL_OLD, MODEL_QWEN, MODEL_GLM].sort((a, b) => a.localeCompare(b)));
    const total = Object.values(fixture.requests).reduce((sum, list) => sum + list.length, 0);
    expect(report.requests).toEqual({ read: total, accepted: total, duplicates: 0, skipped: 0 });

    const summary = await everything(service);
    for (const model of [MODEL_QWEN, MODEL_GLM, MODEL_CN, MODEL_OLD]) {
      const row = modelRow(summary, model);
      expect({ requests: row.requests, inputTokens: row.inputTokens, cacheReadTokens: row.cacheReadTokens, outputTokens: row.outputTokens, cacheWriteTokens: row.cacheWriteTokens }, model).toEqual(
        sums(fixture.requests[model]!),
      );
    }

    // Token prices, with the cache-write price folded into the input price as LLM-Manager billed it.
    const qwenCost = fixture.requests[MODEL_QWEN]!.reduce((sum, r) => sum + llmManagerCost(QWEN_TIERS, r), 0);
    expect(modelRow(summary, MODEL_QWEN).cost!['CNY']).toBeCloseTo(qwenCost, 5);
    expect(modelRow(summary, MODEL_QWEN).pricingMethod).toBe('tokens');
    const oldCost = fixture.requests[MODEL_OLD]!.reduce((sum, r) => sum + llmManagerCost(OLD_TIERS, r), 0);
    expect(modelRow(summary, MODEL_OLD).cost!['CNY']).toBeCloseTo(oldCost, 5);
    // The billing method switched to hourly: runtime x price, requests themselves free.
    const glmHours = fixture.runtime[MODEL_GLM]!.reduce((sum, s) => sum + (s.end! - s.start) / 3600, 0);
    expect(modelRow(summary, MODEL_GLM).pricingMethod).toBe('hourly');
    expect(modelRow(summary, MODEL_GLM).cost!['CNY']).toBeCloseTo(glmHours * GLM_HOURLY, 6);
    // Only LLM-Manager's all-zero default: unpriced, never zero.
    expect(modelRow(summary, MODEL_CN).cost).toBeNull();
    expect(modelRow(summary, MODEL_CN).unpricedRequests).toBe(fixture.requests[MODEL_CN]!.length);
    expect(report.prices).toEqual({ added: 3, existing: 0, skipped: 1, currency: 'CNY' });

    const pricing = await service.getPricing({ model: MODEL_QWEN });
    expect(pricing.versions).toHaveLength(1);
    expect(pricing.versions[0]).toMatchObject({ effectiveFrom: 0, currency: 'CNY', method: 'tokens' });
    expect(pricing.versions[0]!.tiers).toEqual([
      { maxPromptTokens: 32768, input: 2.5, output: 8, cacheRead: 0.2 },
      { maxPromptTokens: null, input: 5, output: 16, cacheRead: 0.4 },
    ]);

    // Runs: every segment that lasted, at the source's times; the start-only one is left out.
    const runs = await service.listRuns({ model: MODEL_QWEN, limit: 100 });
    expect(runs.map((run) => [run.start, run.end, run.source]).sort()).toEqual(
      fixture.runtime[MODEL_QWEN]!.filter((s) => s.end! > s.start)
        .map((s) => [s.start * 1000, s.end! * 1000, 'llm-manager'])
        .sort(),
    );
    expect(report.runs).toEqual({ read: 5, added: 4, existing: 0, skipped: 1 });
    const expectedRuntime = (fixture.runtime[MODEL_QWEN]!.reduce((sum, s) => sum + (s.end! - s.start), 0));
    expect(modelRow(summary, MODEL_QWEN).runtimeSeconds).toBeCloseTo(expectedRuntime, 3);

    // LLM-Manager's own uptime is not a model run and not ModelMeter's uptime: left out and said so.
    expect(report.programRuns).toEqual({ read: 2, added: 0, existing: 0, skipped: 2 });
    expect(await service.listProgramRuns({})).toEqual([]);
    expect(report.notes.join('\n')).toMatch(/uptime/);
  });

  it('adds nothing when the same file is imported again', async () => {
    const fixture = buildTablesLayout(tempDir());
    const service = freshService();
    await importDatabase(service, fixture.file);
    const before = await snapshot(service);

    const again = await importDatabase(service, fixture.file);
    const total = Object.values(fixture.requests).reduce((sum, list) => sum + list.length, 0);
    expect(again.requests).toEqual({ read: total, accepted: 0, duplicates: total, skipped: 0 });
    expect(again.runs).toMatchObject({ added: 0, existing: 4 });
    expect(again.prices).toMatchObject({ added: 0, existing: 3 });
    expect(await snapshot(service)).toEqual(before);
  });

  it('keeps prices a model already has in ModelMeter', async () => {
    const fixture = buildTablesLayout(tempDir());
    const service = freshService();
    await service.addPriceVersion({ model: MODEL_QWEN, version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 0.3, output: 1.2 }] } });
    const report = await importDatabase(service, fixture.file);
    const pricing = await service.getPricing({ model: MODEL_QWEN });
    expect(pricing.versions.map((v) => v.currency)).toEqual(['USD']);
    expect(report.prices.skipped).toBe(2);
    expect(report.notes.some((note) => note.includes(MODEL_QWEN) && note.includes('own prices'))).toBe(true);
  });

  it('imports program uptime as runs of a model named LLM-Manager when asked, once', async () => {
    const fixture = buildTablesLayout(tempDir());
    const service = freshService();
    const first = await importDatabase(service, fixture.file, { programRuntime: 'as-model', currency: 'USD' });
    expect(first.programRuns).toEqual({ read: 2, added: 2, existing: 0, skipped: 0 });
    const runs = await service.listRuns({ model: 'LLM-Manager', limit: 10 });
    expect(runs.map((run) => [run.start, run.end, run.source]).sort()).toEqual(fixture.program.map((s) => [s.start * 1000, s.end * 1000, 'llm-manager-program']).sort());
    expect((await service.getPricing({ model: MODEL_QWEN })).versions[0]!.currency).toBe('USD');
    const second = await importDatabase(service, fixture.file, { programRuntime: 'as-model', currency: 'USD' });
    expect(second.programRuns).toEqual({ read: 2, added: 0, existing: 2, skipped: 0 });
  });

  it('reports progress per batch, ending with every row', async () => {
    const fixture = buildTablesLayout(tempDir());
    const service = freshService();
    const seen: ImportProgress[] = [];
    await importDatabase(service, fixture.file, { batchSize: 500, onProgress: (p) => seen.push(p) });
    const requests = seen.filter((p) => p.phase === 'requests');
    const total = Object.values(fixture.requests).reduce((sum, list) => sum + list.length, 0);
    expect(requests.length).toBeGreaterThanOrEqual(Math.ceil(total / 500));
    expect(requests.every((p) => p.total === total)).toBe(true);
    expect(requests.map((p) => p.done)).toEqual([...requests.map((p) => p.done)].sort((a, b) => a - b));
    expect(requests.at(-1)!.done).toBe(total);
    expect(seen.some((p) => p.phase === 'runs')).toBe(true);
    expect(seen.at(-1)!.phase).toBe('done');
  });

  it('stops between batches when cancelled, and a second import completes the first', async () => {
    const fixture = buildTablesLayout(tempDir());
    const service = freshService();
    const controller = new AbortController();
    const stopped = importDatabase(service, fixture.file, {
      batchSize: 500,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'requests' && p.done >= 1000) controller.abort();
      },
    });
    await expect(stopped).rejects.toMatchObject({ reason: 'aborted' });
    const partial = (await everything(service)).totals.requests;
    const total = Object.values(fixture.requests).reduce((sum, list) => sum + list.length, 0);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(total);
    const rest = await importDatabase(service, fixture.file);
    expect(rest.requests.accepted).toBe(total - partial);
    expect((await everything(service)).totals.requests).toBe(total);
  });

  it('does not count history twice after retention removed the raw rows of the first import', async () => {
    const fixture = buildTablesLayout(tempDir());
    const service = freshService();
    await importDatabase(service, fixture.file);
    const before = await everything(service);
    // Raw rows older than 24 hours go, as retention would remove them; rollups keep the totals.
    await service.cleanup({ before: NOW - 24 * 3_600_000 });
    const again = await importDatabase(service, fixture.file);
    expect(again.requests.accepted).toBe(0);
    const after = await everything(service);
    expect(after.totals).toEqual(before.totals);
    expect(again.notes.join('\n')).toMatch(/retention/);
  });
});

describe('LLM-Manager, shared tables', () => {
  it('imports the later layout and closes a run that never ended at its last request', async () => {
    const fixture = buildUnifiedLayout(tempDir());
    const service = freshService();
    const report = await importDatabase(service, fixture.file);
    expect(report.format).toBe('llm-manager-unified');
    const summary = await everything(service);
    for (const model of [MODEL_QWEN, MODEL_GLM]) {
      const row = modelRow(summary, model);
      expect({ requests: row.requests, inputTokens: row.inputTokens, cacheReadTokens: row.cacheReadTokens, outputTokens: row.outputTokens, cacheWriteTokens: row.cacheWriteTokens }).toEqual(
        sums(fixture.requests[model]!),
      );
    }
    const qwenCost = fixture.requests[MODEL_QWEN]!.reduce((sum, r) => sum + llmManagerCost(QWEN_TIERS, r), 0);
    expect(modelRow(summary, MODEL_QWEN).cost!['CNY']).toBeCloseTo(qwenCost, 5);

    const glmRuns = await service.listRuns({ model: MODEL_GLM, limit: 10 });
    const open = glmRuns.find((run) => run.start === fixture.runtime[MODEL_GLM]![1]!.start * 1000)!;
    expect(open.end).toBe(Math.round(fixture.openRunLastRequest * 1000));
    expect(open.running).toBe(false);
    const hours = (3600 + (Math.round(fixture.openRunLastRequest * 1000) - open.start) / 1000) / 3600;
    expect(modelRow(summary, MODEL_GLM).cost!['CNY']).toBeCloseTo(hours * GLM_HOURLY, 6);
    expect(report.notes.join('\n')).toMatch(/no end/);
    expect(report.programRuns.skipped).toBe(2);
  });

  it('recognises the same requests in both layouts of one history', async () => {
    // LLM-Manager's migrate_database.py copies rows into the shared tables under new ids.
    const dir = tempDir();
    const tables = buildTablesLayout(dir);
    const service = freshService();
    await importDatabase(service, tables.file);
    const migrated = path.join(dir, 'migrated.db');
    const db = new BetterSqlite3(migrated);
    db.exec(`CREATE TABLE models (id INTEGER PRIMARY KEY, original_name TEXT UNIQUE NOT NULL);
      CREATE TABLE model_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL, start_time REAL NOT NULL, end_time REAL NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_n INTEGER NOT NULL, prompt_n INTEGER NOT NULL);`);
    db.prepare('INSERT INTO models VALUES (1, ?)').run(MODEL_QWEN);
    const insert = db.prepare('INSERT INTO model_requests (model_id, start_time, end_time, input_tokens, output_tokens, cache_n, prompt_n) VALUES (1, ?, ?, ?, ?, ?, ?)');
    for (const r of [...tables.requests[MODEL_QWEN]!].reverse()) insert.run(r.start, r.end, r.input, r.output, r.cacheN, r.promptN);
    db.close();
    const report = await importDatabase(service, migrated);
    expect(report.requests).toMatchObject({ accepted: 0, duplicates: tables.requests[MODEL_QWEN]!.length });
    // This copy has no price tables at all: nothing to import, and the report says so.
    expect(report.prices).toMatchObject({ added: 0, existing: 0, skipped: 1 });
    expect(report.notes.join('\n')).toMatch(/holds no prices for "Qwen3/);
    // Two imports of 3,500 rows, each read twice (checked, then written): seconds, more on a busy machine.
  }, 60_000);
});

describe('ccx metrics.db', () => {
  it('imports records with channels, failures and tokens, and the circuit states', async () => {
    const fixture = buildCcx(tempDir());
    const service = freshService();
    const report = await importDatabase(service, fixture.file);
    expect(report.format).toBe('ccx');
    expect(report.requests).toEqual({ read: fixture.records.length, accepted: fixture.records.length, duplicates: 0, skipped: 0 });

    const summary = await everything(service);
    const byModel = new Map<string, { requests: number; failures: number; input: number; output: number; read: number; write: number }>();
    for (const r of fixture.records) {
      const model = r.model || 'unknown';
      const entry = byModel.get(model) ?? { requests: 0, failures: 0, input: 0, output: 0, read: 0, write: 0 };
      entry.requests++;
      if (!r.success) entry.failures++;
      entry.input += r.input;
      entry.output += r.output;
      entry.read += r.cacheRead;
      entry.write += r.cacheCreation;
      byModel.set(model, entry);
    }
    for (const [model, expected] of byModel) {
      const row = modelRow(summary, model);
      expect({ requests: row.requests, failures: row.failures, input: row.inputTokens, output: row.outputTokens, read: row.cacheReadTokens, write: row.cacheWriteTokens }, model).toEqual(expected);
    }

    const failed = await service.listRequests({ metricsKey: CCX_KEYS.relay, apiType: 'chat', limit: 5_000 });
    const source = fixture.records.filter((r) => r.key === CCX_KEYS.relay);
    expect(failed.requests).toHaveLength(source.length);
    const classes = (list: { failureClass: string | null }[]) => list.map((r) => r.failureClass ?? '').sort();
    expect(classes(failed.requests)).toEqual(source.map((r) => r.failureClass).sort());

    const circuits = await service.listCircuits({});
    const relay = circuits.find((c) => c.metricsKey === CCX_KEYS.relay && c.apiType === 'chat')!;
    const NOW_S = NOW / 1000;
    expect(relay).toMatchObject({ state: 'open', consecutiveFailures: 7, backoffLevel: 2, openedAt: (NOW_S - 600) * 1000, nextRetryAt: (NOW_S + 300) * 1000 });
    expect(relay.label).toBe('https://relay.example.com/v1 (sk-r****ijkl)');
    const lastRelayFailure = Math.max(...source.filter((r) => !r.success).map((r) => r.ts)) * 1000;
    expect(relay.lastFailureAt).toBe(lastRelayFailure);
    expect(circuits.find((c) => c.metricsKey === CCX_KEYS.gemini)!.state).toBe('half_open');
    expect(report.circuits).toEqual({ read: 3, updated: 3, unchanged: 0, skipped: 0 });
    const events = await service.listCircuitEvents({ metricsKey: CCX_KEYS.relay });
    expect(events.map((e) => e.to)).toEqual(['open']);
    expect(report.notes.join('\n')).toMatch(/"unknown"/);
  });

  it('adds nothing the second time, and keeps a circuit state ModelMeter saw later', async () => {
    const fixture = buildCcx(tempDir());
    const service = freshService();
    await importDatabase(service, fixture.file);
    await service.putCircuits({ metricsKey: CCX_KEYS.relay, apiType: 'chat', state: 'closed', ts: NOW });
    const before = await snapshot(service);
    const again = await importDatabase(service, fixture.file);
    expect(again.requests).toEqual({ read: fixture.records.length, accepted: 0, duplicates: fixture.records.length, skipped: 0 });
    expect(again.circuits).toEqual({ read: 3, updated: 0, unchanged: 2, skipped: 1 });
    expect(await snapshot(service)).toEqual(before);
  });
});

describe('files that are not such a database', () => {
  it.each([
    ['a text file', (dir: string) => {
      const file = path.join(dir, 'notes.txt');
      fs.writeFileSync(file, 'model,tokens\nqwen,12\n');
      return file;
    }, /notes\.txt is not a SQLite database: expected an LLM-Manager monitoring\.db/],
    ['an empty file', (dir: string) => {
      const file = path.join(dir, 'empty.db');
      fs.writeFileSync(file, '');
      return file;
    }, /empty\.db is not a SQLite database: expected/],
    ['an unrelated SQLite database', (dir: string) => {
      const file = path.join(dir, 'shop.db');
      const db = new BetterSqlite3(file);
      db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL);');
      db.close();
      return file;
    }, /is a SQLite database but not one ModelMeter can import: expected an LLM-Manager/],
    ['a missing file', (dir: string) => path.join(dir, 'nope', 'monitoring.db'), /no readable database file at .*monitoring\.db: expected/],
    ['a folder', (dir: string) => dir, /no readable database file at /],
  ])('refuses %s with a clear message and stores nothing', async (_what, make, message) => {
    const dir = tempDir();
    const file = make(dir);
    const service = freshService();
    const before = await snapshot(service);
    const failure = importDatabase(service, file);
    await expect(failure).rejects.toBeInstanceOf(ImportError);
    await expect(failure).rejects.toThrow(message);
    expect(() => detectFormat(file)).toThrow(message);
    expect(await snapshot(service)).toEqual(before);
    expect((await service.getStorageInfo()).models).toBe(0);
  });

  it('recognises a ModelMeter database and says it needs no import', async () => {
    const file = path.join(tempDir(), 'modelmeter.db');
    Ledger.open(file).close();
    expect(() => detectFormat(file)).toThrow(/looks like a ModelMeter database/);
  });

  it('leaves the source file as it was, sidecars included', async () => {
    const fixture = buildUnifiedLayout(tempDir());
    const bytes = fs.readFileSync(fixture.file);
    const listing = fs.readdirSync(path.dirname(fixture.file)).sort();
    await importDatabase(freshService(), fixture.file);
    expect(fs.readFileSync(fixture.file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(path.dirname(fixture.file)).sort()).toEqual(listing);
  });

  it('tells each layout apart', () => {
    const dir = tempDir();
    expect(detectFormat(buildTablesLayout(dir).file).format).toBe('llm-manager-tables');
    expect(detectFormat(buildUnifiedLayout(dir).file).format).toBe('llm-manager-unified');
    expect(detectFormat(buildCcx(dir).file).format).toBe('ccx');
  });

  it('rejects a currency that is not an ISO code before reading anything', async () => {
    const fixture = buildTablesLayout(tempDir());
    const service = freshService();
    await expect(importDatabase(service, fixture.file, { currency: 'yuan' })).rejects.toThrow(/ISO 4217/);
    expect((await service.getStorageInfo()).models).toBe(0);
  });
});
