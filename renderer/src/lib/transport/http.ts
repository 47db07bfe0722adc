import { EXPORT_PROGRESS_EVERY_MS, EXPORT_TOTAL_HEADER, type AppInfo, type ExportRequest, type Language } from '../../../../shared/app.js';
import type { BridgeOperation, OperationInput, OperationOutput } from '../../../../shared/bridge.js';
import { ModelMeterClient as HttpApi } from '../../../../shared/client/client.js';
import { ApiError } from '../../../../shared/errors.js';
import type { LedgerOperation } from '../../../../shared/api.js';
import { progressThrottle } from '../../../../shared/progress-throttle.js';
import type { ExportProgress, LedgerEvent } from '../../../../shared/types.js';
import type { ConnectionState, ModelMeterClient } from './client.js';
import { watchOnScreen } from './on-screen.js';

const LANGUAGE_KEY = 'modelmeter.language';
const RETRY_MS = [1_000, 2_000, 5_000, 10_000];
/**
 * Received bytes are handed to a Blob part at this size: the browser keeps blobs in its own storage
 * (on disk when large), so a tab holds at most this much of a gigabyte export in script memory.
 */
export const EXPORT_PART_BYTES = 16 * 1024 * 1024;
const LINE_FEED = 0x0a;

export interface HttpClientOptions {
  token: string;
  /** Origin of the server; the page's own origin by default. */
  baseUrl?: string;
  fetch?: typeof fetch;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

/**
 * The browser transport: the project's HTTP client (shared/client) with the bearer token from the
 * dashboard link, plus what only a browser tab does: keep its own language, download exports, and
 * keep the event stream open across server restarts.
 */
export function httpClient(options: HttpClientOptions): ModelMeterClient {
  const api = new HttpApi({
    baseUrl: options.baseUrl ?? globalThis.location.origin,
    token: options.token,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const storage = options.storage ?? globalThis.localStorage;
  const listeners = new Set<(event: LedgerEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let connection: ConnectionState = 'connecting';
  let streaming = false;
  const stop = new AbortController();
  /** The export being downloaded, for cancelExport: one at a time per tab. */
  let exportRun: AbortController | null = null;

  function emit(event: LedgerEvent): void {
    for (const listener of listeners) listener(event);
  }

  async function appInfo(): Promise<AppInfo> {
    const info = await api.getAppInfo();
    const saved = storage?.getItem(LANGUAGE_KEY);
    return { ...info, language: saved === 'en' || saved === 'zh-CN' ? saved : null };
  }

  const appOperations = {
    getAppInfo: () => appInfo(),
    setLanguage: async ({ language }: { language: Language | null }) => {
      // A browser keeps its own choice; the server has no say in how one tab reads.
      if (language) storage?.setItem(LANGUAGE_KEY, language);
      else storage?.removeItem(LANGUAGE_KEY);
      return appInfo();
    },
    setLaunchAtLogin: async () => {
      throw new ApiError('unavailable', 'launch at login is a setting of the desktop app');
    },
    setPort: async () => {
      throw new ApiError('unavailable', 'the headless server takes its port from --port or MODELMETER_PORT');
    },
    openDashboard: async ({ route }: { route?: string }) => {
      globalThis.location.hash = `#/${route ?? ''}`;
    },
    pickImportFile: async () => {
      throw new ApiError('unavailable', 'a browser cannot pick a file on the server: type its path');
    },
    saveExport: async (request: ExportRequest) => {
      if (exportRun) throw new ApiError('conflict', 'an export is already being downloaded in this tab');
      const run = new AbortController();
      exportRun = run;
      let blob: Blob;
      let file: string;
      try {
        // The link needs the Authorization header, so fetch it and hand the browser a blob to save.
        const response = await api.export(request, { signal: run.signal });
        const disposition = response.headers.get('Content-Disposition') ?? '';
        file = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `modelmeter-requests.${request.format}`;
        blob = await receiveExport(response, request.format, run.signal, (progress) => emit({ type: 'export', progress }));
      } catch (error) {
        if (run.signal.aborted) return { file: null };
        throw error;
      } finally {
        exportRun = null;
      }
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = file;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return { file };
    },
    cancelExport: async () => {
      if (!exportRun || exportRun.signal.aborted) return { cancelled: false };
      exportRun.abort();
      return { cancelled: true };
    },
  };

  function setConnection(state: ConnectionState): void {
    if (state === connection) return;
    connection = state;
    for (const listener of connectionListeners) listener(state);
  }

  /** Reads events until the tab closes the client, reconnecting with backoff when the server goes away. */
  async function readStream(): Promise<void> {
    let attempt = 0;
    while (!stop.signal.aborted) {
      const stream = api.events({ signal: stop.signal });
      try {
        await stream.opened;
        attempt = 0;
        setConnection('live');
        for await (const event of stream) emit(event);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'unauthorized') {
          setConnection('offline');
          return;
        }
      }
      if (stop.signal.aborted) return;
      setConnection('offline');
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
      attempt += 1;
    }
  }

  return {
    host: 'browser',
    async call<K extends BridgeOperation>(operation: K, ...input: OperationInput<K> extends undefined ? [] : [OperationInput<K>]): Promise<OperationOutput<K>> {
      const arg = input[0];
      if (operation in appOperations) {
        const run = appOperations[operation as keyof typeof appOperations] as (input: unknown) => Promise<unknown>;
        return (await run(arg)) as OperationOutput<K>;
      }
      return (await api.call(operation as LedgerOperation, arg as never)) as OperationOutput<K>;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!streaming && !stop.signal.aborted) {
        streaming = true;
        void readStream();
      }
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(connection);
      return () => connectionListeners.delete(listener);
    },
    onScreen: (listener) => watchOnScreen({ page: globalThis.document }, listener),
    close() {
      stop.abort();
      exportRun?.abort();
      listeners.clear();
    },
  };
}

/**
 * Reads an export's body into a blob, reporting its progress at most every EXPORT_PROGRESS_EVERY_MS and
 * once more at the end. The server does not say how many rows it has sent, so they are counted by
 * the lines that ended: CSV is a header line then a line per row; JSON is a "[" line, a line per
 * row, and a closing "]" line that ends only with the file.
 */
async function receiveExport(response: Response, format: ExportRequest['format'], signal: AbortSignal, report: (progress: ExportProgress) => void): Promise<Blob> {
  if (!response.body) throw new ApiError('unavailable', 'the server answered the export without a body');
  const announced = response.headers.get(EXPORT_TOTAL_HEADER)?.trim() ?? '';
  const total = /^\d+$/.test(announced) && Number.isSafeInteger(Number(announced)) ? Number(announced) : null;
  const parts: Blob[] = [];
  let chunks: Uint8Array<ArrayBuffer>[] = [];
  let chunkBytes = 0;
  let bytes = 0;
  let lines = 0;
  // Date.now, not performance.now: the tests step the wall clock past the interval.
  const due = progressThrottle(EXPORT_PROGRESS_EVERY_MS, () => Date.now());

  const progress = (done: boolean): ExportProgress => {
    const rows = Math.max(0, lines - 1 - (done && format === 'json' ? 1 : 0));
    // Only an estimate: the runs follow the requests at the end of the file, and a CSV cell may
    // rarely hold a line break, so the count stops at the total when the server told it.
    return { requests: total === null ? rows : Math.min(rows, total), total, bytes };
  };
  const tell = (done: boolean): void => {
    if (due(done)) report(progress(done));
  };

  tell(false);
  const reader = response.body.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      throw new ApiError('unavailable', `the connection broke while downloading the export: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Never save part of a file: a stream that ends quietly on abort is still a cancel.
    signal.throwIfAborted();
    if (chunk.done) break;
    const data = chunk.value;
    chunks.push(data);
    chunkBytes += data.byteLength;
    if (chunkBytes >= EXPORT_PART_BYTES) {
      parts.push(new Blob(chunks));
      chunks = [];
      chunkBytes = 0;
    }
    bytes += data.byteLength;
    // indexOf rather than a loop over every byte: an export runs to gigabytes.
    for (let at = data.indexOf(LINE_FEED); at !== -1; at = data.indexOf(LINE_FEED, at + 1)) lines += 1;
    tell(false);
  }
  tell(true);
  return new Blob([...parts, ...chunks]);
}
