import type { AppInfo, ExportRequest, Language } from '../../../../shared/app.js';
import type { BridgeOperation, OperationInput, OperationOutput } from '../../../../shared/bridge.js';
import { ModelMeterClient as HttpApi } from '../../../../shared/client/client.js';
import { ApiError } from '../../../../shared/errors.js';
import type { LedgerOperation } from '../../../../shared/api.js';
import type { LedgerEvent } from '../../../../shared/types.js';
import type { ConnectionState, ModelMeterClient } from './client.js';

const LANGUAGE_KEY = 'modelmeter.language';
const RETRY_MS = [1_000, 2_000, 5_000, 10_000];

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
      // The link needs the Authorization header, so fetch it and hand the browser a blob to save.
      const response = await api.export(request);
      const disposition = response.headers.get('Content-Disposition') ?? '';
      const file = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `modelmeter-requests.${request.format}`;
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = file;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return { file };
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
        for await (const event of stream) for (const listener of listeners) listener(event);
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
    close() {
      stop.abort();
      listeners.clear();
    },
  };
}
