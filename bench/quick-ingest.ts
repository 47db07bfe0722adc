import { openDatabase } from '../electron/store/database.js';
import { StoreContext } from '../electron/store/context.js';
import { RequestWriter } from '../electron/store/request-writer.js';
import type { RequestRecord } from '../shared/schemas/request-record.js';
import fs from 'node:fs';

const file = '/tmp/q/quick.db';
for (const f of [file, file + '-wal', file + '-shm']) fs.rmSync(f, { force: true });
const db = openDatabase(file);
const ctx = new StoreContext(db);
const writer = new RequestWriter(ctx);
const N = 200_000;
const start = Date.now() - 30 * 86400000;
const recs: RequestRecord[] = [];
for (let i = 0; i < N; i++) {
  recs.push({ ts: start + i * 10, model: `model-${i % 50}`, apiType: 'openai', inputTokens: 1000 + (i % 500), outputTokens: 200, cacheReadTokens: i % 3 ? 0 : 512, cacheWriteTokens: 0, success: i % 20 !== 0, failureClass: i % 20 ? null : 'retryable', statusCode: 200, latencyMs: 800, ttftMs: 120, channel: (i % 20).toString(16).padStart(16, '0'), source: 'bench', requestId: null });
}
const t0 = performance.now();
for (let i = 0; i < N; i += 5000) ctx.write(() => writer.write(recs.slice(i, i + 5000)));
const t1 = performance.now();
console.log('records/s', Math.round(N / ((t1 - t0) / 1000)));
console.log(db.prepare('select count(*) c from rollup_minute').get(), db.prepare('select count(*) c from rollup_hour').get());
