import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { AppInfo, ExportRequest, Language } from '../../../../shared/app.js';
import type { BridgeOperation, OperationInput, OperationOutput } from '../../../../shared/bridge.js';
import { ApiError, type ErrorBody } from '../../../../shared/errors.js';
import { API_ROOT, APP_INFO_PATH, HTTP_ROUTES, toSearchParams, type HttpCall } from '../../../../shared/http-routes.js';
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

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: ErrorBody };
    if (body.error?.code) return ApiError.fromBody(body.error);
  } catch {
    // not JSON: fall through to a generic error
  }
  return new ApiError(response.status === 401 ? 'unauthorized' : 'internal', `the server answered ${response.status} ${response.statusText}`);
}

/**
 * The browser transport: HTTP API v1 with the bearer token from the dashboard link, and the event
 * stream read with fetch (EventSource cannot send the Authorization header).
 */
export function httpClient(options: HttpClientOptions): ModelMeterClient {
  const base = options.baseUrl ?? '';
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const storage = options.storage ?? globalThis.localStorage;
  const auth = { Authorization: `Bearer ${options.token}` };
  const listeners = new Set<(event: LedgerEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let connection: ConnectionState = 'connecting';
  let stream: AbortController | null = null;
  let closed = false;

  async function send(call: HttpCall): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(`${base}${API_ROOT}${call.path}${toSearchParams(call.query)}`, {
        method: call.method,
        headers: call.body === undefined ? auth : { ...auth, 'Content-Type': 'application/json' },
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      });
    } catch {
      throw new ApiError('unavailable', 'cannot reach the ModelMeter server: is it still running?');
    }
    if (!response.ok) throw await errorOf(response);
    return response.json();
  }

  async function appInfo(): Promise<AppInfo> {
    const info = (await send({ method: 'GET', path: APP_INFO_PATH })) as AppInfo;
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
    saveExport: async (request: ExportRequest) => {
      // The link needs the Authorization header, so fetch it and hand the browser a blob to save.
      let response: Response;
      try {
        response = await doFetch(`${base}${API_ROOT}/export${toSearchParams({ ...request })}`, { headers: auth });
      } catch {
        throw new ApiError('unavailable', 'cannot reach the ModelMeter server: is it still running?');
      }
      if (!response.ok) throw await errorOf(response);
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

  async function readStream(): Promise<void> {
    let attempt = 0;
    while (!closed) {
      stream = new AbortController();
      try {
        const response = await doFetch(`${base}${API_ROOT}/events`, { headers: { ...auth, Accept: 'text/event-stream' }, signal: stream.signal });
        if (!response.ok || !response.body) throw await errorOf(response);
        const parser = createParser({
          onEvent(message: EventSourceMessage) {
            if (message.event === 'hello') {
              attempt = 0;
              setConnection('live');
              return;
            }
            let event: LedgerEvent;
            try {
              event = JSON.parse(message.data) as LedgerEvent;
            } catch {
              return;
            }
            for (const listener of listeners) listener(event);
          },
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch (error) {
        if (closed) return;
        if (error instanceof ApiError && error.code === 'unauthorized') {
          setConnection('offline');
          return;
        }
      }
      if (closed) return;
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
      const route = HTTP_ROUTES[operation as keyof typeof HTTP_ROUTES] as (input: unknown) => HttpCall;
      return (await send(route(arg))) as OperationOutput<K>;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!stream && !closed) void readStream();
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(connection);
      return () => connectionListeners.delete(listener);
    },
    close() {
      closed = true;
      stream?.abort();
      listeners.clear();
    },
  };
}
