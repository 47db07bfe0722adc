/**
 * P1 with and without catalogue pricing, in the same run: the in-process ingest rate through the
 * store (the P1 path) when requests the user has no price for are priced from the bundled catalogue,
 * against the same records with the catalogue switched off. Trials alternate; medians count.
 *
 *   npm run build:core && node dist/bench/p1-catalogue.js [--records 200000] [--trials 3] [--no-user-prices]
 *
 * --no-user-prices leaves every model without a price of the user's, so every cloud request goes
 * through the catalogue (the first day after install).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LedgerService } from '../electron/app/ledger-service.js';
import { CatalogueMatcher } from '../electron/ledger/pricing/catalogue.js';
import { Ledger } from '../electron/ledger/store/ledger.js';
import type { RequestRecord } from '../shared/schemas/request-record.js';
import { buildCatalogue, buildPrices, recordBatches } from './dataset.js';
import { fmtInt, log, median, removeDatabase } from './util.js';

const RECORDS_PER_DAY = 10_000_000 / 30;

async function trial(file: string, batches: readonly RequestRecord[][], prices: ReturnType<typeof buildPrices>, catalogue: boolean) {
  removeDatabase(file);
  const ledger = Ledger.open(file, { durability: 'full' });
  ledger.ctx.catalogue = catalogue ? new CatalogueMatcher() : null;
  const service = new LedgerService(ledger);
  for (const { model, version } of prices) await service.addPriceVersion({ model, version });
  const started = performance.now();
  for (const batch of batches) ledger.write(() => ledger.requests.write(batch));
  const seconds = (performance.now() - started) / 1000;
  const counts = ledger.db
    .prepare<[], { catalogue: number; user: number; unpriced: number }>(
      `SELECT sum(price_source_id IS NOT NULL) AS catalogue, sum(cost_nanos IS NOT NULL AND price_source_id IS NULL) AS user,
              sum(cost_nanos IS NULL) AS unpriced FROM requests`,
    )
    .get()!;
  ledger.close();
  return { seconds, counts };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, trials: { type: 'string', default: '3' }, seed: { type: 'string', default: '42' }, 'no-user-prices': { type: 'boolean', default: false } } });
  const records = Number(values.records);
  const trials = Number(values.trials);
  const seed = Number(values.seed);
  const days = Math.max(1, Math.round(records / RECORDS_PER_DAY));
  const models = buildCatalogue(seed);
  const endTs = Date.now();
  const batches = [...recordBatches({ records, endTs, days, seed }, models, 5_000)];
  const prices = values['no-user-prices'] ? [] : buildPrices(models, seed, endTs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-p1-catalogue-'));
  const file = path.join(dir, 'ledger.db');
  const on: number[] = [];
  const off: number[] = [];
  try {
    for (let i = 1; i <= trials; i++) {
      const without = await trial(file, batches, prices, false);
      const withCatalogue = await trial(file, batches, prices, true);
      off.push(records / without.seconds);
      on.push(records / withCatalogue.seconds);
      log(
        `trial ${i}: catalogue off ${fmtInt(off[i - 1]!)} records/s (unpriced ${fmtInt(without.counts.unpriced)}), ` +
          `on ${fmtInt(on[i - 1]!)} records/s (catalogue-priced ${fmtInt(withCatalogue.counts.catalogue)}, user-priced ${fmtInt(withCatalogue.counts.user)}, unpriced ${fmtInt(withCatalogue.counts.unpriced)})`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const ratio = median(on) / median(off);
  console.log(`P1 ingest, ${fmtInt(records)} records${prices.length === 0 ? ' (no user prices)' : ''}, median of ${trials}: catalogue off ${fmtInt(median(off))} records/s, on ${fmtInt(median(on))} records/s, on/off = ${ratio.toFixed(2)}`);
}

await main();
