/**
 * What the host around the ledger offers the UI: facts about where it runs, and the few things only
 * the desktop app can do (the tray's language, launch at login, opening the dashboard window).
 * The headless server answers `getAppInfo` over HTTP; the desktop-only operations fail there with
 * `unavailable`, and the renderer hides what they would drive.
 */
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

export type AppHost = 'desktop' | 'headless';

export interface AppInfo {
  version: string;
  host: AppHost;
  /** Where launchers and scripts reach the HTTP API, e.g. http://127.0.0.1:7423/api/v1. */
  apiUrl: string;
  port: number;
  dataDir: string;
  /** The API token: the desktop renderer shows it in Settings; over HTTP the caller already has it. */
  token: string | null;
  /** Null where the host cannot start at login (the headless server). */
  launchAtLogin: boolean | null;
  /** The language chosen in the app, or null to follow the OS. */
  language: Language | null;
  /** The port the desktop app will listen on at its next start, when the user changed it. */
  nextPort: number | null;
}

export interface AppApi {
  getAppInfo(): Promise<AppInfo>;
  setLanguage(input: { language: Language | null }): Promise<AppInfo>;
  setLaunchAtLogin(input: { enabled: boolean }): Promise<AppInfo>;
  /** Saved for the next start: the API cannot move while launchers are reporting to it. */
  setPort(input: { port: number }): Promise<AppInfo>;
  /** From the quick view: show the dashboard window at a route such as "models/gpt-5-mini". */
  openDashboard(input: { route?: string }): Promise<void>;
  /**
   * Writes the request export for accounting: the desktop asks where with a save dialog, a browser
   * downloads it. Answers the file name, or null when the user cancelled.
   */
  saveExport(input: ExportRequest): Promise<{ file: string | null }>;
  /**
   * Stops the export being saved: nothing is left of its file and saveExport answers { file: null }.
   * Answers whether one was being saved. Its progress comes as `export` events meanwhile.
   */
  cancelExport(): Promise<{ cancelled: boolean }>;
  /**
   * Asks which database to import with an open dialog (desktop only; a browser cannot name a file on
   * the server's disk, so there the path is typed). Answers the path, or null when cancelled.
   */
  pickImportFile(): Promise<{ path: string | null }>;
}

export interface ExportRequest {
  format: 'csv' | 'json';
  from?: number;
  to?: number;
  model?: string;
  /** A project path as the summary's byProject names it. */
  project?: string;
  /** A machine as listHosts names it, or '@local' (LOCAL_HOST) for this one. */
  host?: string;
}

/**
 * The header of `GET /api/v1/export` with the requests its range held when it started, by the rollups
 * (ExportProgress.total); absent when they cannot tell.
 */
export const EXPORT_TOTAL_HEADER = 'X-ModelMeter-Export-Requests';

/** How often an export being saved tells its views how far it has come, on either host: a bar moves, events stay few. */
export const EXPORT_PROGRESS_EVERY_MS = 200;

export type AppOperation = keyof AppApi;

export const APP_OPERATIONS = ['getAppInfo', 'setLanguage', 'setLaunchAtLogin', 'setPort', 'openDashboard', 'saveExport', 'cancelExport', 'pickImportFile'] as const satisfies readonly AppOperation[];
