import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../electron/hosts/import/cli.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { buildCcx, buildTablesLayout, MODEL_GLM, removeTempDirs, tempDir } from '../../sources/importers/fixtures.js';

afterAll(() => removeTempDirs());

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text), env: {} });
  return { code, out, err };
}

async function ledgerTotals(dataDir: string) {
  const ledger = Ledger.open(path.join(dataDir, 'modelmeter.db'));
  try {
    const service = new LedgerService(ledger);
    const summary = await service.getSummary({ from: 0, to: Date.now() + 86_400_000 });
    return { requests: summary.totals.requests, models: summary.models.map((m) => m.model), pricing: await service.listPricing() };
  } finally {
    ledger.close();
  }
}

describe('the import command', () => {
  it('imports into a data folder, printing progress and what it did; a second run adds nothing', async () => {
    const source = buildTablesLayout(tempDir());
    const dataDir = path.join(tempDir(), 'data');

    const first = await run([source.file, '--data-dir', dataDir]);
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/^requests: \d+\/3520$/m);
    expect(first.err).toMatch(/^requests: 3520\/3520$/m);
    expect(first.out).toMatch(/Imported LLM-Manager monitoring\.db \(a table set per model\)/);
    expect(first.out).toMatch(/requests: {2}3520 read, 3520 added, 0 already there, 0 left out/);
    expect(first.out).toMatch(/currency CNY/);
    const totals = await ledgerTotals(dataDir);
    expect(totals.requests).toBe(3520);
    expect(totals.models).toContain(MODEL_GLM);
    expect(totals.pricing.find((p) => p.model === MODEL_GLM)!.versions[0]).toMatchObject({ method: 'hourly', hourly: 3.6, currency: 'CNY' });

    const second = await run([source.file, '--data-dir', dataDir]);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/requests: {2}3520 read, 0 added, 3520 already there/);
    expect((await ledgerTotals(dataDir)).requests).toBe(3520);
  });

  it('takes the data folder from MODELMETER_DATA_DIR and reports ccx circuits', async () => {
    const source = buildCcx(tempDir());
    const dataDir = path.join(tempDir(), 'env-data');
    let out = '';
    const code = await runCli([source.file], { out: (text) => (out += text), err: () => {}, env: { MODELMETER_DATA_DIR: dataDir } });
    expect(code).toBe(0);
    expect(out).toMatch(/circuits: {2}3 read, 3 updated/);
    expect(fs.existsSync(path.join(dataDir, 'modelmeter.db'))).toBe(true);
  });

  it('fails with the reason, exit code 1 and an untouched ledger for a file it cannot import', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'hello\n');
    const dataDir = path.join(dir, 'data');
    const result = await run([file, '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/modelmeter-import: .*notes\.txt is not a SQLite database/);
    expect(result.out).toBe('');
    expect((await ledgerTotals(dataDir)).requests).toBe(0);
  });

  it('explains its usage for a missing file argument or a bad option', async () => {
    expect((await run([])).code).toBe(2);
    const bad = await run(['x.db', '--program-runtime', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/skip or as-model/);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: node dist\/electron\/hosts\/import\/cli\.js <file>/);
  });
});
