import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../../../shared/types.js';
import { expectError, tempDir, type TestServer, useServerPerTest } from './helpers.js';

/** POST /api/v1/import against crafted files, on a running server. */

let server: TestServer;
useServerPerTest((started) => (server = started));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
function sourceDir(): string {
  const dir = tempDir('modelmeter-import-attack-');
  dirs.push(dir);
  return dir;
}

/** A ccx metrics.db with `rows` requests; the last one's model is `lastModel`. */
function ccxFile(rows: number, lastModel: string): string {
  const file = path.join(sourceDir(), 'metrics.db');
  const db = new BetterSqlite3(file);
  db.exec(`CREATE TABLE request_records (id INTEGER PRIMARY KEY AUTOINCREMENT, metrics_key TEXT, timestamp INTEGER, success INTEGER, input_tokens INTEGER, output_tokens INTEGER, api_type TEXT, model TEXT)`);
  const insert = db.prepare(`INSERT INTO request_records (metrics_key, timestamp, success, input_tokens, output_tokens, api_type, model) VALUES ('0123456789abcdef', ?, 1, 100, 10, 'chat', ?)`);
  const start = Math.floor(Date.now() / 1000) - 3_600;
  db.transaction(() => {
    for (let i = 0; i < rows - 1; i++) insert.run(start + (i % 3_000), 'gpt-5-mini');
    insert.run(start + 3_000, lastModel);
  })();
  db.close();
  return file;
}

/** Polls /healthz while `work` runs; answers the slowest answer's time. */
async function slowestHealthz<T>(work: Promise<T>): Promise<{ result: T; slowestMs: number; answers: number }> {
  let done = false;
  let slowestMs = 0;
  let answers = 0;
  const poll = (async () => {
    while (!done) {
      const started = performance.now();
      const answer = await fetch(`${server.url}/healthz`);
      await answer.text();
      expect(answer.status).toBe(200);
      slowestMs = Math.max(slowestMs, performance.now() - started);
      answers++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    return { result: await work, slowestMs, answers };
  } finally {
    done = true;
    await poll;
  }
}

describe('POST /api/v1/import of a crafted file', () => {
  it('with a 32M-character model name: /healthz keeps answering, the file is refused, nothing is half-imported', async () => {
    const file = ccxFile(20_000, `evil-${'x'.repeat(32 * 1024 * 1024)}`);
    const { result: answer, slowestMs, answers } = await slowestHealthz(server.call('POST', '/api/v1/import', { json: { path: file } }));
    const error = expectError(answer, 400, 'bad_request');
    expect(error.message).toMatch(/larger than 16384 bytes in a column "model".*nothing was imported/);
    expect(error.message).not.toContain('xxxx');
    // Before: the server stopped answering for the whole import (36 s for 200M characters) and then died.
    expect(answers).toBeGreaterThan(0);
    expect(slowestMs).toBeLessThan(1_000);
    expect((await server.get<{ totalRequests: number }>('/api/v1/storage')).totalRequests).toBe(0);
  });

  it('of 20,000 ordinary rows keeps /healthz answering while it reads and writes', async () => {
    const file = ccxFile(20_000, 'gpt-5-mini');
    const { result: report, slowestMs } = await slowestHealthz(server.post<ImportReport>('/api/v1/import', { path: file }));
    expect(report.requests.accepted).toBe(20_000);
    expect(slowestMs).toBeLessThan(1_000);
  });

  it("refuses the server's own data folder: its database, its log and its token file", async () => {
    for (const name of ['modelmeter.db', 'modelmeter.db-wal', 'api-token']) {
      const file = path.join(server.dataDir, name);
      if (name === 'api-token') fs.writeFileSync(file, 'secret-token-value\n', { mode: 0o600 });
      const error = expectError(await server.call('POST', '/api/v1/import', { json: { path: file } }), 400, 'bad_request');
      expect(error.message).toContain("ModelMeter's own data folder");
      expect(error.message).not.toContain('secret-token-value');
    }
  });

  it('answers "not a SQLite database" for a text file, quoting none of it', async () => {
    const file = path.join(sourceDir(), '.env');
    fs.writeFileSync(file, 'OPENAI_API_KEY=sk-live-very-secret-0123456789\n');
    const error = expectError(await server.call('POST', '/api/v1/import', { json: { path: file } }), 400, 'bad_request');
    expect(error.message).toMatch(/is not a SQLite database/);
    expect(error.message).not.toMatch(/OPENAI|sk-live|secret/);
  });
});
