import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { LANGUAGES, type AppApi, type AppInfo, type ExportRequest, type Language } from '../../../../shared/app.js';
import { ApiError } from '../../../../shared/errors.js';
import { exportQuerySchema } from '../../../../shared/schemas/queries.js';
import type { ExportProgress } from '../../../../shared/types.js';
import type { ExportChunk, ExportFilter } from '../../../app/ledger-service.js';
import { parseInput } from '../../../ledger/input/validation.js';
import { reportingProgress } from './export-progress.js';

export type { ExportFilter };
import type { DialogLike } from '../electron-api.js';
import { DEVELOPMENT_REASON, type LoginItem } from '../login-item.js';
import type { DesktopSettingsFile } from '../settings.js';

const languageInput = z.strictObject({ language: z.enum(LANGUAGES).nullable() });
const launchInput = z.strictObject({ enabled: z.boolean() });
const portInput = z.strictObject({ port: z.number().int().min(1024).max(65_535) });
const dashboardInput = z.strictObject({ route: z.string().max(2_000).optional() }).optional();

export interface DesktopHostOptions {
  appInfo: () => AppInfo;
  settings: DesktopSettingsFile;
  loginItem: LoginItem;
  dialog: Pick<DialogLike, 'showSaveDialog' | 'showOpenDialog'>;
  downloadsDir: () => string;
  /** The export's pages (the same pages the HTTP export sends). */
  exportPages: (filter: ExportFilter) => AsyncIterable<ExportChunk>;
  /** Told how far the export being saved has come (the windows show it). */
  exportProgress: (progress: ExportProgress) => void;
  openDashboard: (route: string | undefined) => void;
  /** Told after a change so the tray (and its notifications) follow. */
  languageChanged: (language: Language | null) => void;
  launchAtLoginChanged: (enabled: boolean | null) => void;
  now?: () => Date;
}

/** The desktop's answers to the app operations of the bridge. */
export class DesktopHost implements AppApi {
  /** The Save in progress (one at a time: a second would race the first for the dialog and the disk). */
  private saving: AbortController | null = null;

  constructor(private readonly options: DesktopHostOptions) {}

  async getAppInfo(): Promise<AppInfo> {
    return this.options.appInfo();
  }

  async setLanguage(input: { language: Language | null }): Promise<AppInfo> {
    const { language } = parseInput(languageInput, input, 'language');
    this.options.settings.update({ language });
    this.options.languageChanged(language);
    return this.options.appInfo();
  }

  async setLaunchAtLogin(input: { enabled: boolean }): Promise<AppInfo> {
    const { enabled } = parseInput(launchInput, input, 'launch at login');
    if (this.options.loginItem.get() === null) {
      throw new ApiError('unavailable', this.options.loginItem.unavailable === 'development' ? DEVELOPMENT_REASON : 'this system offers no way to start ModelMeter at login');
    }
    try {
      this.options.loginItem.set(enabled);
    } catch (error) {
      throw new ApiError('unavailable', `cannot change launch at login: ${(error as Error).message}`);
    }
    this.options.launchAtLoginChanged(this.options.loginItem.get());
    return this.options.appInfo();
  }

  async setPort(input: { port: number }): Promise<AppInfo> {
    const { port } = parseInput(portInput, input, 'port');
    this.options.settings.update({ port });
    return this.options.appInfo();
  }

  async openDashboard(input: { route?: string }): Promise<void> {
    const parsed = parseInput(dashboardInput, input, 'dashboard route');
    this.options.openDashboard(parsed?.route);
  }

  async saveExport(input: ExportRequest): Promise<{ file: string | null }> {
    const query = parseInput(exportQuerySchema, input, 'export request');
    if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
      throw new ApiError('validation_failed', 'the export range ends before it starts', [{ field: 'to', reason: 'must not be before from' }]);
    }
    if (this.saving) throw new ApiError('conflict', 'an export is already being saved: wait for it, or cancel it');
    const saving = (this.saving = new AbortController());
    try {
      return await this.save(query, saving.signal);
    } finally {
      this.saving = null;
    }
  }

  async cancelExport(): Promise<{ cancelled: boolean }> {
    if (!this.saving) return { cancelled: false };
    this.saving.abort();
    return { cancelled: true };
  }

  private async save(query: ExportFilter, signal: AbortSignal): Promise<{ file: string | null }> {
    const stamp = (this.options.now?.() ?? new Date()).toISOString().slice(0, 10);
    const choice = await this.options.dialog.showSaveDialog({
      defaultPath: path.join(this.options.downloadsDir(), `modelmeter-requests-${stamp}.${query.format}`),
      filters: [query.format === 'csv' ? { name: 'CSV', extensions: ['csv'] } : { name: 'JSON', extensions: ['json'] }],
    });
    if (choice.canceled || !choice.filePath || signal.aborted) return { file: null };
    const file = choice.filePath;
    const pages = this.options.exportPages({
      format: query.format,
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.to === undefined ? {} : { to: query.to }),
      ...(query.model === undefined ? {} : { model: query.model }),
      ...(query.project === undefined ? {} : { project: query.project }),
      ...(query.host === undefined ? {} : { host: query.host }),
    });
    // Written next to the target and renamed at the end: a failed or cancelled export leaves no half file.
    const partial = `${file}.partial`;
    try {
      await pipeline(Readable.from(reportingProgress(pages, this.options.exportProgress)), fs.createWriteStream(partial), { signal });
      fs.renameSync(partial, file);
    } catch (error) {
      fs.rmSync(partial, { force: true });
      if (signal.aborted) return { file: null };
      throw new ApiError('internal', `the export could not be written to ${file}: ${(error as Error).message}`);
    }
    return { file };
  }

  async pickImportFile(): Promise<{ path: string | null }> {
    const choice = await this.options.dialog.showOpenDialog({
      title: 'Import an LLM-Manager or ccx database',
      properties: ['openFile'],
      filters: [
        { name: 'SQLite database', extensions: ['db', 'sqlite', 'sqlite3'] },
        { name: 'All files', extensions: ['*'] },
      ],
    });
    return { path: choice.canceled ? null : (choice.filePaths[0] ?? null) };
  }
}
