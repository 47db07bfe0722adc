import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startCore } from '../../../../electron/hosts/core/start-core.js';
import { KEY_FILE } from '../../../../electron/sources/secrets/key-vault.js';
import type { ImportReport, LedgerEvent, ProxyRoute, Watcher } from '../../../../shared/types.js';
import { buildTablesLayout, removeTempDirs, tempDir as importDir } from '../../sources/importers/fixtures.js';
import { expectError, tempDir, useServerPerTest, type TestServer } from './helpers.js';

const OPENAI_KEY = 'sk-proj-0123456789abcdefXYZ9';
const OTHER_KEY = 'sk-proj-fedcba9876543210QRS1';

afterAll(() => removeTempDirs());

describe('proxy routes over HTTP', () => {
  let server: TestServer;
  useServerPerTest((started) => (server = started));

  const route = (channels: unknown[], extra: Record<string, unknown> = {}) => ({ protocol: 'openai', channels, ...extra });

  it('stores a route with defaults, shows key masks and never the key', async () => {
    const saved = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ baseUrl: 'https://api.openai.com/', label: 'main', apiKey: OPENAI_KEY }, { baseUrl: 'http://127.0.0.1:8080' }]));
    expect(saved).toMatchObject({ name: 'openai', protocol: 'openai', path: '/r/openai', includeUsage: false, timeoutSeconds: 300, enabled: true });
    expect(saved.channels.map((channel) => [channel.baseUrl, channel.label, channel.hasKey, channel.keyMask])).toEqual([
      ['https://api.openai.com', 'main', true, 'sk-p…XYZ9'],
      ['http://127.0.0.1:8080', null, false, null],
    ]);
    expect(saved.channels[0]!.metricsKey).toMatch(/^[0-9a-f]{16}$/);
    expect(saved.channels[1]!.metricsKey).toBeNull();

    const listed = await server.call('GET', '/api/v1/routes');
    expect(listed.body).toEqual([saved]);
    expect(listed.text).not.toContain(OPENAI_KEY);
  });

  it('keeps the held key out of the database, in an owner-only file', async () => {
    await server.put('/api/v1/routes/openai', route([{ baseUrl: 'https://api.openai.com', apiKey: OPENAI_KEY }]));
    const keyFile = path.join(server.dataDir, KEY_FILE);
    expect(fs.readFileSync(keyFile, 'utf8')).toContain(OPENAI_KEY);
    if (process.platform !== 'win32') expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    server.core.service.ledger.db.pragma('wal_checkpoint(TRUNCATE)');
    const database = fs.readFileSync(path.join(server.dataDir, 'modelmeter.db'));
    expect(database.includes(Buffer.from(OPENAI_KEY))).toBe(false);
  });

  it('keeps a held key when an edit leaves it out, replaces it when given, forgets it on null', async () => {
    const first = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ baseUrl: 'https://api.openai.com', apiKey: OPENAI_KEY }]));
    const id = first.channels[0]!.id;
    const kept = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ id, baseUrl: 'https://api.openai.com', label: 'renamed' }], { includeUsage: true }));
    expect(kept.channels[0]).toMatchObject({ id, label: 'renamed', hasKey: true, keyMask: 'sk-p…XYZ9' });
    expect(kept.includeUsage).toBe(true);
    const replaced = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ id, baseUrl: 'https://api.openai.com', apiKey: OTHER_KEY }]));
    expect(replaced.channels[0]!.keyMask).toBe('sk-p…QRS1');
    expect(replaced.channels[0]!.metricsKey).not.toBe(first.channels[0]!.metricsKey);
    const forgotten = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ id, baseUrl: 'https://api.openai.com', apiKey: null }]));
    expect(forgotten.channels[0]).toMatchObject({ hasKey: false, keyMask: null });
    expect(fs.readFileSync(path.join(server.dataDir, KEY_FILE), 'utf8')).not.toContain('sk-proj');
  });

  it('rejects bad routes with the field at fault and changes nothing', async () => {
    const saved = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ baseUrl: 'https://api.openai.com', apiKey: OPENAI_KEY }]));
    const cases: [string, unknown, string][] = [
      ['openai', route([{ baseUrl: 'ftp://example.com' }]), 'channels.0.baseUrl'],
      ['openai', route([]), 'channels'],
      ['openai', { ...route([{ baseUrl: 'http://x.test' }]), protocol: 'grpc' }, 'protocol'],
      ['openai', route([{ baseUrl: 'http://x.test', secret: 1 }]), 'channels.0.secret'],
      ['openai', route([{ id: 'nosuchchannel', baseUrl: 'http://x.test' }]), 'id'],
      ['Bad Name', route([{ baseUrl: 'http://x.test' }]), '(body)'],
    ];
    for (const [name, body, field] of cases) {
      const answer = await server.call('PUT', `/api/v1/routes/${encodeURIComponent(name)}`, { json: body });
      const error = expectError(answer, 400, 'validation_failed');
      expect(error.details?.map((detail) => detail.field).join(' ')).toContain(field);
    }
    expect(await server.get('/api/v1/routes')).toEqual([saved]);
  });

  it('refuses keys and addresses that could never be called or would leak, saying what to do (11.6, 11.14)', async () => {
    const saved = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ baseUrl: 'https://api.openai.com', apiKey: OPENAI_KEY }]));
    const cases: [string, unknown, string, RegExp][] = [
      ['blank key', { baseUrl: 'https://api.openai.com', apiKey: '   ' }, 'channels.0.apiKey', /blank/],
      ['key with CR/LF', { baseUrl: 'https://api.openai.com', apiKey: 'sk-abc\r\nX-Evil: 1' }, 'channels.0.apiKey', /line break/],
      ['key with a zero-width space', { baseUrl: 'https://api.openai.com', apiKey: 'sk-abc\u200bdef' }, 'channels.0.apiKey', /invisible/],
      ['key with a non-breaking space', { baseUrl: 'https://api.openai.com', apiKey: 'sk-abc\u00a0def' }, 'channels.0.apiKey', /invisible/],
      ['user:pw@ in the URL', { baseUrl: 'https://user:sk-secret@api.openai.com' }, 'channels.0.baseUrl', /key field/],
      ['query in the URL', { baseUrl: 'https://api.openai.com/?key=sk-secret' }, 'channels.0.baseUrl', /query/],
      ['label with a line break', { baseUrl: 'https://api.openai.com', label: 'a\nproxy forged: log line' }, 'channels.0.label', /one line/],
    ];
    for (const [what, channel, field, reason] of cases) {
      const error = expectError(await server.call('PUT', '/api/v1/routes/openai', { json: route([channel]) }), 400, 'validation_failed');
      const detail = error.details?.find((candidate) => candidate.field === field);
      expect(detail, what).toBeDefined();
      expect(detail!.reason, what).toMatch(reason);
    }
    expect(await server.get('/api/v1/routes')).toEqual([saved]);
    // Spaces around a pasted key are not part of it.
    const trimmed = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ baseUrl: 'https://api.openai.com', apiKey: `  ${OTHER_KEY}\n` }]));
    expect(trimmed.channels[0]!.keyMask).toBe('sk-p…QRS1');
    expectError(await server.call('POST', '/api/v1/watchers', { json: { kind: 'ollama', baseUrl: 'http://admin:pw@127.0.0.1:11434' } }), 400, 'validation_failed');
  });

  it('forgets a held key when an edit moves its channel to another origin, and refuses one id twice (11.2)', async () => {
    const first = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ baseUrl: 'https://api.openai.com', apiKey: OPENAI_KEY }]));
    const id = first.channels[0]!.id;
    const twice = expectError(await server.call('PUT', '/api/v1/routes/openai', { json: route([{ id, baseUrl: 'https://api.openai.com' }, { id, baseUrl: 'https://collector.example' }]) }), 400, 'validation_failed');
    expect(twice.details?.map((detail) => detail.field)).toContain('channels.1.id');
    const moved = await server.put<ProxyRoute>('/api/v1/routes/openai', route([{ id, baseUrl: 'https://collector.example/v1' }]));
    expect(moved.channels[0]).toMatchObject({ id, hasKey: false, keyMask: null });
    expect(fs.readFileSync(path.join(server.dataDir, KEY_FILE), 'utf8')).not.toContain(OPENAI_KEY);
  });

  it('deletes a route and its held keys; an unknown route is not found', async () => {
    await server.put('/api/v1/routes/openai', route([{ baseUrl: 'https://api.openai.com', apiKey: OPENAI_KEY }]));
    expect(await server.del('/api/v1/routes/openai')).toEqual({ name: 'openai' });
    expect(await server.get('/api/v1/routes')).toEqual([]);
    expect(fs.readFileSync(path.join(server.dataDir, KEY_FILE), 'utf8')).not.toContain(OPENAI_KEY);
    expectError(await server.call('DELETE', '/api/v1/routes/openai'), 404, 'not_found');
  });

  it('needs the token to read or change routes', async () => {
    expectError(await server.call('GET', '/api/v1/routes', { authorization: null }), 401, 'unauthorized');
    expectError(await server.call('PUT', '/api/v1/routes/x', { json: route([{ baseUrl: 'http://x.test' }]), authorization: 'Bearer wrong-token-000000' }), 401, 'unauthorized');
  });
});

describe('watchers over HTTP', () => {
  let server: TestServer;
  useServerPerTest((started) => (server = started));

  it('adds watchers switched off, edits and deletes them', async () => {
    const added = await server.post<Watcher>('/api/v1/watchers', { kind: 'llama-cpp', baseUrl: 'http://127.0.0.1:8080/', model: 'Qwen3-8B' });
    expect(added).toMatchObject({ kind: 'llama-cpp', baseUrl: 'http://127.0.0.1:8080', enabled: false, pollSeconds: 5, model: 'Qwen3-8B', status: { state: 'off' } });
    const edited = await server.put<Watcher>(`/api/v1/watchers/${added.id}`, { kind: 'llama-cpp', baseUrl: 'http://127.0.0.1:8081', pollSeconds: 10 });
    expect(edited).toMatchObject({ id: added.id, baseUrl: 'http://127.0.0.1:8081', pollSeconds: 10, model: null });
    expect((await server.get<Watcher[]>('/api/v1/watchers')).map((watcher) => watcher.id)).toEqual([added.id]);
    expect(await server.del(`/api/v1/watchers/${added.id}`)).toEqual({ id: added.id });
    expect(await server.get('/api/v1/watchers')).toEqual([]);
  });

  it('rejects an unknown kind or a bad poll period, and an unknown id', async () => {
    expectError(await server.call('POST', '/api/v1/watchers', { json: { kind: 'lmstudio', baseUrl: 'http://127.0.0.1:1234' } }), 400, 'validation_failed');
    expectError(await server.call('POST', '/api/v1/watchers', { json: { kind: 'ollama', baseUrl: 'http://127.0.0.1:11434', pollSeconds: 0 } }), 400, 'validation_failed');
    expectError(await server.call('PUT', '/api/v1/watchers/abc123', { json: { kind: 'ollama', baseUrl: 'http://127.0.0.1:11434' } }), 404, 'not_found');
    expectError(await server.call('DELETE', '/api/v1/watchers/abc123'), 404, 'not_found');
    expect(await server.get('/api/v1/watchers')).toEqual([]);
  });
});

describe('routes and watchers after a restart', () => {
  it('are still there, with the held key', async () => {
    const dataDir = tempDir();
    const first = await startCore({ dataDir, port: 0, token: 'restart-token-0123456789' });
    await first.service.saveRoute({ name: 'claude', route: { protocol: 'anthropic', channels: [{ baseUrl: 'https://api.anthropic.com', apiKey: OPENAI_KEY }] } });
    await first.service.saveWatcher({ watcher: { kind: 'ollama', baseUrl: 'http://127.0.0.1:11434' } });
    await first.close();
    const second = await startCore({ dataDir, port: 0, token: 'restart-token-0123456789' });
    try {
      expect((await second.service.listRoutes()).map((item) => [item.name, item.channels[0]!.keyMask])).toEqual([['claude', 'sk-p…XYZ9']]);
      expect(second.service.integrations.route('claude')!.channels[0]!.apiKey).toBe(OPENAI_KEY);
      expect((await second.service.listWatchers()).map((item) => item.kind)).toEqual(['ollama']);
    } finally {
      await second.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a key file that is not JSON, naming the file', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, KEY_FILE), '{not json');
    await expect(startCore({ dataDir, port: 0, token: 'restart-token-0123456789' })).rejects.toThrow(KEY_FILE);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

describe('import over HTTP', () => {
  let server: TestServer;
  useServerPerTest((started) => (server = started));

  it('imports an LLM-Manager database with progress events, and adds nothing the second time', async () => {
    const fixture = buildTablesLayout(importDir());
    const events: LedgerEvent[] = [];
    const unsubscribe = server.core.service.events.subscribe((event) => events.push(event));
    const report = await server.post<ImportReport>('/api/v1/import', { path: fixture.file });
    unsubscribe();
    expect(report.format).toBe('llm-manager-tables');
    expect(report.requests.accepted).toBeGreaterThan(0);
    expect(report.requests.duplicates).toBe(0);
    const progress = events.filter((event) => event.type === 'import');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ file: fixture.file, progress: { phase: 'done' } });
    expect(events.some((event) => event.type === 'data' && event.reason === 'import')).toBe(true);

    const again = await server.post<ImportReport>('/api/v1/import', { path: fixture.file });
    expect(again.requests).toMatchObject({ accepted: 0, duplicates: report.requests.accepted });
  });

  it('answers a clear error for a missing file, a file that is not a database, and a foreign database', async () => {
    const dir = importDir();
    const missing = expectError(await server.call('POST', '/api/v1/import', { json: { path: path.join(dir, 'nope.db') } }), 404, 'not_found');
    expect(missing.message).toContain('nope.db');

    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'hello, not sqlite');
    expectError(await server.call('POST', '/api/v1/import', { json: { path: text } }), 400, 'bad_request');

    const foreign = path.join(dir, 'other.db');
    const db = new BetterSqlite3(foreign);
    db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
    db.close();
    expectError(await server.call('POST', '/api/v1/import', { json: { path: foreign } }), 400, 'bad_request');

    expectError(await server.call('POST', '/api/v1/import', { json: { path: text, currency: 'yuan' } }), 400, 'validation_failed');
    expectError(await server.call('POST', '/api/v1/import', { json: {} }), 400, 'validation_failed');
    expect((await server.get<{ totalRequests: number }>('/api/v1/storage')).totalRequests).toBe(0);
  });
});
