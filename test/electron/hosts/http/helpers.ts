import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ErrorBody } from '../../../../shared/errors.js';
import { startCore, type RunningCore } from '../../../../electron/hosts/core/start-core.js';

/** What a call answered: the status, the parsed JSON body (or the raw text when it is not JSON). */
export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  /** A JSON value to send; `raw` sends text as-is instead. */
  json?: unknown;
  raw?: string | Uint8Array;
  contentType?: string;
  /** Override the Authorization header: null sends none. */
  authorization?: string | null;
  headers?: Record<string, string>;
}

/** A real core on a random loopback port, in its own temporary data folder. */
export interface TestServer {
  core: RunningCore;
  url: string;
  token: string;
  dataDir: string;
  call<T = unknown>(method: string, route: string, options?: CallOptions): Promise<Answer<T>>;
  get<T = unknown>(route: string): Promise<T>;
  post<T = unknown>(route: string, json?: unknown): Promise<T>;
  put<T = unknown>(route: string, json?: unknown): Promise<T>;
  del<T = unknown>(route: string): Promise<T>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'modelmeter-http-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startServer(): Promise<TestServer> {
  const dataDir = tempDir();
  const token = randomBytes(18).toString('base64url');
  const core = await startCore({ dataDir, port: 0, token });
  const url = core.url;

  async function call<T>(method: string, route: string, options: CallOptions = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.authorization !== null) headers['authorization'] = options.authorization ?? `Bearer ${token}`;
    let body: string | Uint8Array | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      if (options.contentType) headers['content-type'] = options.contentType;
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(`${url}${route}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json') && text !== '') parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  /** A call that must succeed with 200; answers the body. */
  async function ok<T>(method: string, route: string, json?: unknown): Promise<T> {
    const answer = await call<T>(method, route, json === undefined ? {} : { json });
    if (answer.status !== 200) throw new Error(`${method} ${route} answered ${answer.status}: ${answer.text}`);
    return answer.body;
  }

  let closed = false;
  return {
    core,
    url,
    token,
    dataDir,
    call,
    get: (route) => ok('GET', route),
    post: (route, json) => ok('POST', route, json ?? {}),
    put: (route, json) => ok('PUT', route, json),
    del: (route) => ok('DELETE', route),
    async close() {
      if (closed) return;
      closed = true;
      await core.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Asserts an error answer: status, code, and the `{ error: { code, message } }` envelope. */
/** Starts a fresh server (own data folder) before each test of the file and closes it after. */
export function useServerPerTest(set: (server: TestServer) => void): void {
  let current: TestServer | undefined;
  beforeEach(async () => {
    current = await startServer();
    set(current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}

export function expectError(answer: Answer<unknown>, status: number, code: ErrorBody['code']): ErrorBody {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type') ?? '').toContain('application/json');
  const body = answer.body as { error: ErrorBody };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

/** A query string from defined values. */
export function qs(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
