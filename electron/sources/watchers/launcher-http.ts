import type { WatcherKind } from '../../../shared/schemas/integrations.js';
import { modelNameSchema, sourceSchema } from '../../../shared/schemas/request-record.js';

/** A launcher that cannot be read right now, with the reason in words for the Settings view. */
export class LauncherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LauncherError';
  }
}

/** What every launcher driver needs to talk to its launcher. */
export interface DriverContext {
  /** Normalised: no trailing slash, may carry a path prefix (a launcher behind a reverse proxy). */
  baseUrl: string;
  fetch: typeof fetch;
  /** Each request (and the wait for an event stream's headers) gives up after this long. */
  timeoutMs: number;
  /** The name the user set for the watcher's model, if any (llama.cpp). */
  model: string | null;
}

export interface LauncherAnswer {
  status: number;
  text: string;
}

/** GET one path of the launcher; any failure to get an answer becomes a LauncherError in words. */
export async function getFrom(ctx: DriverContext, path: string, signal: AbortSignal): Promise<LauncherAnswer> {
  const request = linkedAbort(signal, ctx.timeoutMs);
  try {
    const response = await ctx.fetch(`${ctx.baseUrl}${path}`, { headers: { accept: 'application/json' }, signal: request.signal });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    if (signal.aborted) throw error;
    if (request.timedOut()) throw new LauncherError(`no answer from ${ctx.baseUrl}${path} within ${seconds(ctx.timeoutMs)}`);
    throw new LauncherError(describeNetworkError(error, ctx.baseUrl));
  } finally {
    request.dispose();
  }
}

export interface LinkedAbort {
  signal: AbortSignal;
  abort(): void;
  timedOut(): boolean;
  /** Keeps the signal but drops the timeout (a stream whose headers came in time). */
  stopTimer(): void;
  /** Unhooks from the parent and clears the timer; call when the work is over. */
  dispose(): void;
}

/**
 * A signal that aborts with its parent, on `abort()`, or after `timeoutMs`. Unlike AbortSignal.any,
 * it unhooks from the long-lived parent when disposed, so a watcher polling for weeks holds nothing
 * per request.
 */
export function linkedAbort(parent: AbortSignal, timeoutMs?: number): LinkedAbort {
  const controller = new AbortController();
  let timedOut = false;
  const onParent = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParent, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new LauncherError('timed out'));
        }, timeoutMs);
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    timedOut: () => timedOut,
    stopTimer: () => clearTimeout(timer),
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

/** GET a path that must answer 200 with JSON. */
export async function getJson(ctx: DriverContext, path: string, signal: AbortSignal): Promise<unknown> {
  const answer = await getFrom(ctx, path, signal);
  if (answer.status !== 200) throw new LauncherError(`HTTP ${answer.status} from ${path}`);
  return parseJson(answer.text, path);
}

export function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LauncherError(`unexpected answer from ${path}: not JSON`);
  }
}

/** Why fetch could not reach the launcher, from undici's error causes. */
export function describeNetworkError(error: unknown, baseUrl: string): string {
  if (error instanceof LauncherError) return error.message;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
  const code = cause && 'code' in cause ? String((cause as NodeJS.ErrnoException).code) : '';
  const host = hostOf(baseUrl);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused at ${baseUrl}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found: ${new URL(baseUrl).hostname}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${host}`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connecting to ${baseUrl} timed out`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return `the connection to ${baseUrl} was lost`;
  }
  // undici reports a body cut mid-way as TypeError("terminated").
  if (error instanceof Error && error.message === 'terminated') return `the connection to ${baseUrl} was lost`;
  const detail = cause?.message || (error instanceof Error ? error.message : String(error));
  return `cannot reach ${baseUrl}: ${detail}`;
}

/** `host:port`, with the scheme's default port spelled out so two launchers never share a name by accident. */
export function hostOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

/** The `source` a watcher's runs carry: `<kind>@<host:port>`, within the ledger's 64 characters. */
export function sourceFor(kind: WatcherKind, baseUrl: string): string {
  const source = `${kind}@${hostOf(baseUrl)}`.slice(0, 64);
  return sourceSchema.parse(source);
}

/** Launchers name models freely; names the ledger would refuse are dropped rather than failing a whole snapshot. */
export function validModelNames(names: Iterable<unknown>): string[] {
  const valid = new Set<string>();
  for (const name of names) {
    if (typeof name === 'string' && modelNameSchema.safeParse(name).success) valid.add(name);
  }
  return [...valid].sort();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * How one kind of launcher tells which models are up. Every driver can be polled; a driver whose
 * launcher pushes changes also has `follow`, which the watcher prefers.
 */
export interface LauncherDriver {
  /** The models up right now; throws a LauncherError when the launcher cannot say. */
  poll(signal: AbortSignal): Promise<string[]>;
  follow?: {
    /**
     * Reads the launcher's event stream, calling `onSnapshot` with the models up each time they
     * change (the first call right after connecting). Resolves when the launcher ends the stream,
     * rejects when it breaks; throws StreamUnavailable when this launcher has no such stream.
     */
    stream(signal: AbortSignal, onSnapshot: (models: string[]) => void): Promise<void>;
    /** A cheap request proving the launcher still answers while its stream is quiet. */
    probe(signal: AbortSignal): Promise<void>;
  };
}

/** The launcher is reachable but has no event stream (an older version): poll instead. */
export class StreamUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamUnavailable';
  }
}
