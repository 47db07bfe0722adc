import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppInfo, Language } from '../../../../../shared/app.js';
import type { ExportProgress, RequestRow } from '../../../../../shared/types.js';
import type { ExportChunk } from '../../../../../electron/app/ledger-service.js';
import { DesktopHost, type ExportFilter } from '../../../../../electron/hosts/desktop/host/desktop-host.js';
import { exportText } from '../../../../../electron/ledger/export/export-text.js';
import type { LoginItem } from '../../../../../electron/hosts/desktop/login-item.js';
import { DesktopSettingsFile } from '../../../../../electron/hosts/desktop/settings.js';
import { FakeDialog } from '../fakes.js';
import { useTempDir } from '../support.js';

function row(id: number): RequestRow {
  return { id: String(id), ts: id, model: 'm', apiType: 'openai', inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, success: true, failureClass: null, statusCode: 200, latencyMs: 12, ttftMs: null, channel: null, source: null, requestId: null, cost: 0.5, currency: 'USD', project: null, branch: null, sessionId: null, responseId: null, host: null };
}

interface PagesOptions {
  /** The second page cannot be read. */
  failing?: boolean;
  /** The second page waits for this (an export still being read). */
  second?: Promise<void>;
}

/** An export's pages as the service hands them out: two pages of three requests. */
async function* pages(options: PagesOptions): AsyncGenerator<ExportChunk> {
  yield { bytes: Buffer.from(exportText([row(1), row(2)], 'csv', { first: true, written: 0, last: false })), requests: 2, total: 3 };
  await options.second;
  if (options.failing) throw new Error('the read worker stopped while answering; try again');
  yield { bytes: Buffer.from(exportText([row(3)], 'csv', { first: false, written: 2, last: true })), requests: 1 };
}

describe('DesktopHost', () => {
  const temp = useTempDir();

  function setup(loginSupported = true, exporting: PagesOptions = {}) {
    const dir = temp();
    const settings = new DesktopSettingsFile(dir);
    const dialog = new FakeDialog();
    let login = false;
    const loginItem: LoginItem = { get: () => (loginSupported ? login : null), set: (enabled) => (login = enabled) };
    const seen = { languages: [] as (Language | null)[], login: [] as (boolean | null)[], dashboard: [] as (string | undefined)[], filters: [] as ExportFilter[], progress: [] as ExportProgress[] };
    const host = new DesktopHost({
      appInfo: () => ({ port: 7423, language: settings.read().language, launchAtLogin: loginItem.get() }) as AppInfo,
      settings,
      loginItem,
      dialog,
      downloadsDir: () => dir,
      exportPages: (filter) => {
        seen.filters.push(filter);
        return pages(exporting);
      },
      exportProgress: (progress) => seen.progress.push(progress),
      openDashboard: (route) => seen.dashboard.push(route),
      languageChanged: (language) => seen.languages.push(language),
      launchAtLoginChanged: (enabled) => seen.login.push(enabled),
      now: () => new Date('2025-06-01T10:00:00Z'),
    });
    return { dir, host, settings, dialog, seen };
  }

  it('saves the language and tells the tray', async () => {
    const { host, settings, seen } = setup();
    expect((await host.setLanguage({ language: 'zh-CN' })).language).toBe('zh-CN');
    expect(settings.read().language).toBe('zh-CN');
    expect(seen.languages).toEqual(['zh-CN']);
    await expect(host.setLanguage({ language: 'fr' as Language })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('keeps a new port for the next start and refuses ports it should not take', async () => {
    const { host, settings } = setup();
    await host.setPort({ port: 8123 });
    expect(settings.read().port).toBe(8123);
    for (const port of [80, 70_000, 1.5]) await expect(host.setPort({ port })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('switches launch at login, or says it is unavailable', async () => {
    const supported = setup();
    expect((await supported.host.setLaunchAtLogin({ enabled: true })).launchAtLogin).toBe(true);
    expect(supported.seen.login).toEqual([true]);
    const unsupported = setup(false);
    await expect(unsupported.host.setLaunchAtLogin({ enabled: true })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('opens the dashboard at the asked route', async () => {
    const { host, seen } = setup();
    await host.openDashboard({ route: 'models/gpt-5' });
    await host.openDashboard({});
    expect(seen.dashboard).toEqual(['models/gpt-5', undefined]);
  });

  it('writes the export where the user chose, as CSV', async () => {
    const { dir, host, dialog, seen } = setup();
    const file = path.join(dir, 'out.csv');
    dialog.saveAnswer = { canceled: false, filePath: file };
    expect(await host.saveExport({ format: 'csv', from: 1, model: 'm', project: '/srv/shop', host: 'gpu-box' })).toEqual({ file });
    expect(dialog.saveRequests[0]).toMatchObject({ defaultPath: path.join(dir, 'modelmeter-requests-2025-06-01.csv') });
    expect(seen.filters).toEqual([{ format: 'csv', from: 1, model: 'm', project: '/srv/shop', host: 'gpu-box' }]);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^time,ts,model,/);
    expect(lines).toHaveLength(4);
    expect(fs.existsSync(`${file}.partial`)).toBe(false);
  });

  it('leaves no file, not even a partial one, when a page of the export cannot be read', async () => {
    const { dir, host, dialog } = setup(true, { failing: true });
    const file = path.join(dir, 'out.csv');
    dialog.saveAnswer = { canceled: false, filePath: file };
    await expect(host.saveExport({ format: 'csv' })).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/could not be written.*read worker stopped/) });
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('out.csv'))).toEqual([]);
  });

  it('tells the windows how far the export has come: the total with the first page, every byte at the end', async () => {
    const { dir, host, dialog, seen } = setup();
    const file = path.join(dir, 'out.csv');
    dialog.saveAnswer = { canceled: false, filePath: file };
    await host.saveExport({ format: 'csv' });
    expect(seen.progress[0]).toEqual({ requests: 2, total: 3, bytes: expect.any(Number) });
    expect(seen.progress.at(-1)).toEqual({ requests: 3, total: 3, bytes: fs.statSync(file).size });
  });

  it('stops an export being saved when cancelled, leaving no file, and answers as if the dialog was cancelled', async () => {
    let release = (): void => {};
    const second = new Promise<void>((resolve) => (release = resolve));
    const { dir, host, dialog, seen } = setup(true, { second });
    dialog.saveAnswer = { canceled: false, filePath: path.join(dir, 'out.csv') };
    const saving = host.saveExport({ format: 'csv' });
    await expect.poll(() => seen.progress.length).toBe(1);
    // One Save at a time: a second would race the first for the dialog and the file.
    await expect(host.saveExport({ format: 'json' })).rejects.toMatchObject({ code: 'conflict' });
    expect(await host.cancelExport()).toEqual({ cancelled: true });
    release();
    expect(await saving).toEqual({ file: null });
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('out.csv'))).toEqual([]);
    expect(await host.cancelExport()).toEqual({ cancelled: false });
    // The next Save runs as usual.
    expect(await host.saveExport({ format: 'csv' })).toEqual({ file: path.join(dir, 'out.csv') });
  });

  it('writes nothing when the user cancels, and rejects a backwards range before asking', async () => {
    const { host, dialog, seen } = setup();
    expect(await host.saveExport({ format: 'json' })).toEqual({ file: null });
    expect(seen.filters).toEqual([]);
    await expect(host.saveExport({ format: 'json', from: 10, to: 5 })).rejects.toMatchObject({ code: 'validation_failed' });
    expect(dialog.saveRequests).toHaveLength(1);
  });

  it('asks which database to import with an open dialog, and answers null when cancelled', async () => {
    const { host, dialog } = setup();
    expect(await host.pickImportFile()).toEqual({ path: null });
    dialog.openAnswer = { canceled: false, filePaths: ['/home/me/LLM-Manager/data/monitoring.db'] };
    expect(await host.pickImportFile()).toEqual({ path: '/home/me/LLM-Manager/data/monitoring.db' });
    expect(dialog.openRequests[0]).toMatchObject({ properties: ['openFile'] });
    expect(dialog.openRequests[0]!.filters![0]!.extensions).toContain('db');
  });
});
