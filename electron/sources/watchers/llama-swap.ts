import { createParser } from 'eventsource-parser';
import {
  describeNetworkError,
  getFrom,
  getJson,
  isRecord,
  LauncherError,
  linkedAbort,
  parseJson,
  StreamUnavailable,
  validModelNames,
  type DriverContext,
  type LauncherDriver,
  type LinkedAbort,
} from './launcher-http.js';

/**
 * llama-swap (github.com/mostlygeek/llama-swap, proxy/proxymanager_api.go):
 * - `GET /api/events` is a server-sent event stream of `message` events whose data is an envelope
 *   `{"type": "modelStatus" | "logData" | "metrics" | "inflight", "data": "<JSON text>"}`. For
 *   `modelStatus`, `data` is the JSON text of every configured model,
 *   `[{"id", "name", "description", "state", "unlisted", "peerID", "aliases"}]`, with `state` one of
 *   ready, starting, stopping, shutdown, stopped, unknown. A full list is sent right after
 *   connecting and again on every process state change; nothing is sent while nothing happens.
 * - `GET /running` answers `{"running": [{"model", "state", …}]}` (the fallback for versions
 *   without the event stream).
 * - `GET /health` answers 200 "OK".
 */
export function llamaSwapDriver(ctx: DriverContext): LauncherDriver {
  return {
    async poll(signal) {
      const body = await getJson(ctx, '/running', signal);
      if (!isRecord(body) || !Array.isArray(body.running)) throw new LauncherError('unexpected answer from /running: no running list');
      return validModelNames(body.running.filter((entry) => isRecord(entry) && isUp(entry.state)).map((entry) => (entry as Record<string, unknown>).model));
    },
    follow: {
      stream: (signal, onSnapshot) => followEvents(ctx, signal, onSnapshot),
      async probe(signal) {
        const answer = await getFrom(ctx, '/health', signal);
        if (answer.status !== 200) throw new LauncherError(`HTTP ${answer.status} from /health`);
      },
    },
  };
}

/** Loaded and serving; a model being stopped still holds its memory until it is stopped. */
function isUp(state: unknown): boolean {
  return state === 'ready' || state === 'stopping';
}

/** The models up in one `modelStatus` list; models of peers (other llama-swap hosts) are theirs to report. */
export function modelsUp(list: unknown): string[] {
  if (!Array.isArray(list)) throw new LauncherError('unexpected modelStatus event from /api/events: not a list');
  return validModelNames(
    list.filter((model) => isRecord(model) && isUp(model.state) && !model.peerID).map((model) => (model as Record<string, unknown>).id),
  );
}

async function followEvents(ctx: DriverContext, signal: AbortSignal, onSnapshot: (models: string[]) => void): Promise<void> {
  const path = '/api/events';
  const connection = linkedAbort(signal, ctx.timeoutMs);
  try {
    return await readEvents(ctx, path, connection, signal, onSnapshot);
  } finally {
    connection.dispose();
  }
}

async function readEvents(
  ctx: DriverContext,
  path: string,
  connection: LinkedAbort,
  signal: AbortSignal,
  onSnapshot: (models: string[]) => void,
): Promise<void> {
  let response: Response;
  try {
    response = await ctx.fetch(`${ctx.baseUrl}${path}`, { headers: { accept: 'text/event-stream' }, signal: connection.signal });
  } catch (error) {
    if (signal.aborted) throw error;
    if (connection.timedOut()) throw new LauncherError(`no answer from ${ctx.baseUrl}${path} within ${ctx.timeoutMs / 1000} s`);
    throw new LauncherError(describeNetworkError(error, ctx.baseUrl));
  }
  // The headers came in time; from here the stream may stay quiet for as long as nothing happens.
  connection.stopTimer();
  if (response.status === 404) {
    await response.body?.cancel().catch(() => {});
    throw new StreamUnavailable(`${ctx.baseUrl} has no ${path}`);
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw new LauncherError(`HTTP ${response.status} from ${path}`);
  }
  let failure: LauncherError | null = null;
  let listed = false;
  // llama-swap lists its models right after connecting; a stream that never does is not llama-swap's.
  const firstList = setTimeout(() => {
    if (listed) return;
    failure = new LauncherError(`no model status from ${path} within ${ctx.timeoutMs / 1000} s`);
    connection.abort();
  }, ctx.timeoutMs);
  const parser = createParser({
    onEvent(event) {
      if (failure) return;
      // gin names every event "message"; an unnamed event is the same to an EventSource.
      if (event.event !== undefined && event.event !== 'message') return;
      try {
        const envelope = parseJson(event.data, path);
        if (!isRecord(envelope) || envelope.type !== 'modelStatus') return;
        const list = typeof envelope.data === 'string' ? parseJson(envelope.data, path) : envelope.data;
        const models = modelsUp(list);
        listed = true;
        onSnapshot(models);
      } catch (error) {
        failure = error instanceof LauncherError ? error : new LauncherError(`unexpected event from ${path}: ${String(error)}`);
      }
    },
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
      if (failure) throw failure;
    }
  } catch (error) {
    if (signal.aborted || error instanceof LauncherError) throw error;
    if (failure) throw failure;
    throw new LauncherError(describeNetworkError(error, ctx.baseUrl));
  } finally {
    clearTimeout(firstList);
    await reader.cancel().catch(() => {});
  }
}
