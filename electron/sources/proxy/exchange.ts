import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ApiError } from '../../../shared/errors.js';
import type { ProxyProtocol } from '../../../shared/schemas/integrations.js';
import { MAX_TOKENS, type FailureClass, type RequestRecord } from '../../../shared/schemas/request-record.js';
import type { BufferedWriter } from '../../ledger/ingest/buffered-writer.js';
import { boundedMemo } from './bounded-memo.js';
import type { BreakerRegistry, ChannelRef, Lease } from './breakers.js';
import { classifyStatus, isRetryableStatus, isSuccessStatus } from './classify.js';
import type { LiveExchanges } from './live-exchanges.js';
import { responseRawHeaders, setCredential } from './headers.js';
import { providerOfBaseUrl } from './provider.js';
import { createUsageTap, type RequestInfo, type TapResult } from './protocols/index.js';
import { sendUpstream, type UpstreamAgents, type UpstreamBase } from './upstream.js';

/** Error bodies of failed attempts are kept to answer with the last one; past this they are cut off. */
const MAX_ERROR_BODY = 4 * 1024 * 1024;

/** One channel of the route, ready to be called. */
export interface Target {
  ref: ChannelRef;
  base: UpstreamBase;
  /** The key the app holds for it: it replaces the client's credential. */
  apiKey: string | null;
}

/** Everything one proxied request needs, decided by the caller (register.ts). */
export interface Exchange {
  routeName: string;
  protocol: ProxyProtocol;
  method: string;
  /** Path and query after the route prefix, as sent upstream: `/v1/chat/completions?x=1`. */
  upstreamPath: string;
  /** Path and query after the route prefix, as the client sent it (what the usage reader sees). */
  clientPath: string;
  headers: OutgoingHttpHeaders;
  /** Whether the body was rewritten (Content-Length is then recomputed). */
  bodyRewritten: boolean;
  info: RequestInfo;
  targets: Target[];
  timeoutMs: number;
  /** The call's project and branch (its X-ModelMeter-* headers, else the route's project). */
  project: string | null;
  branch: string | null;
}

export interface ExchangeContext {
  breakers: BreakerRegistry;
  agents: UpstreamAgents;
  writer: BufferedWriter;
  now: () => number;
  log: (message: string) => void;
  /** Live exchanges, cut when the server closes. */
  live: LiveExchanges;
}

interface Attempt {
  target: Target;
  lease: Lease;
  ts: number;
  startedAt: number;
}

interface Failure {
  channel: string;
  reason: string;
  status: number | null;
}

interface KeptResponse {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  body: Buffer;
}

type Finish = { kind: 'response'; kept: KeptResponse | null } | { kind: 'cancel' };

const describe = (target: Target) => target.ref.label ?? target.ref.baseUrl;

function clampCount(value: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(Math.round(value), 0), MAX_TOKENS) : 0;
}

function clampMs(value: number): number {
  return Math.min(Math.max(Math.round(value), 0), 86_400_000);
}

/** A failure reported inside a 2xx stream, by the kind the upstream gave it. */
function streamFailureClass(code: string | null): FailureClass {
  if (code !== null && /overloaded/i.test(code)) return 'overloaded';
  if (code !== null && /insufficient_quota|quota_exceeded|billing/i.test(code)) return 'quota';
  return 'retryable';
}

/**
 * Runs one proxied request: tries the route's channels by priority (failing over on retryable
 * failures before the first byte reaches the client), then passes the chosen response through as
 * it arrives while its usage is read on the side. Every attempt becomes one request record and one
 * breaker result.
 */
export async function runExchange(exchange: Exchange, client: ServerResponse, context: ExchangeContext): Promise<void> {
  const { breakers } = context;
  let clientGone = false;
  let abortCurrent: (() => void) | null = null;
  const onClientClose = () => {
    if (client.writableFinished) return;
    clientGone = true;
    abortCurrent?.();
  };
  client.once('close', onClientClose);
  const cut = () => {
    client.destroy();
  };
  context.live.add(cut);

  try {
    const plan = breakers.plan(exchange.targets.map((target) => target.ref));
    const order = plan.order.map((ref) => exchange.targets.find((target) => target.ref === ref)!);
    const failures: Failure[] = [];
    let kept: KeptResponse | null = null;
    let timedOut = false;
    let attempted = 0;

    const attemptOn = async (target: Target, force: boolean): Promise<Finish | 'next' | 'skipped'> => {
      const lease = breakers.acquire(target.ref, force);
      if (!lease) return 'skipped';
      attempted++;
      const attempt: Attempt = { target, lease, ts: context.now(), startedAt: performance.now() };
      const result = await tryChannel(exchange, attempt, client, context, () => clientGone, (abort) => (abortCurrent = abort));
      abortCurrent = null;
      if (result.kind === 'failed') {
        failures.push({ channel: describe(target), reason: result.reason, status: result.kept?.status ?? null });
        kept = result.kept;
        timedOut = result.timeout;
        return 'next';
      }
      return result;
    };

    for (let i = 0; i < order.length; i++) {
      if (clientGone) return;
      const outcome = await attemptOn(order[i]!, plan.forced);
      if (outcome === 'skipped' || outcome === 'next') {
        if (outcome === 'next' && i + 1 < order.length && !clientGone) {
          const last = failures[failures.length - 1]!;
          context.log(`proxy ${exchange.routeName}: ${last.channel} failed (${last.reason}); trying ${describe(order[i + 1]!)}`);
        }
        continue;
      }
      return;
    }
    if (clientGone) return;
    if (attempted === 0) {
      // Every channel became unavailable between the plan and now (others took the half-open probes):
      // probe the first one anyway rather than answer without trying.
      const outcome = await attemptOn(order[0] ?? exchange.targets[0]!, true);
      if (outcome !== 'next' && outcome !== 'skipped') return;
    }
    if (clientGone) return;
    if (failures.length > 1) context.log(`proxy ${exchange.routeName}: every channel failed (${failures.map((f) => `${f.channel}: ${f.reason}`).join('; ')})`);
    sendFinal(client, kept, failures, timedOut);
  } finally {
    context.live.delete(cut);
    client.off('close', onClientClose);
  }
}

function sendFinal(client: ServerResponse, kept: KeptResponse | null, failures: Failure[], timedOut: boolean): void {
  if (client.destroyed) return;
  if (kept) {
    client.writeHead(kept.status, kept.statusMessage, kept.rawHeaders);
    client.end(kept.body);
    return;
  }
  const error = new ApiError(
    timedOut ? 'gateway_timeout' : 'bad_gateway',
    `no upstream answered: ${failures.map((failure) => `${failure.channel}: ${failure.reason}`).join('; ')}`,
    failures.map((failure) => ({ field: 'channel', reason: `${failure.channel}: ${failure.reason}` })),
  );
  const body = JSON.stringify({ error: error.toBody() });
  client.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' });
  client.end(body);
}

type ChannelResult = Finish | { kind: 'failed'; reason: string; timeout: boolean; kept: KeptResponse | null };

async function tryChannel(
  exchange: Exchange,
  attempt: Attempt,
  client: ServerResponse,
  context: ExchangeContext,
  clientGone: () => boolean,
  setAbort: (abort: () => void) => void,
): Promise<ChannelResult> {
  const { target } = attempt;
  const headers: OutgoingHttpHeaders = { ...exchange.headers, host: target.base.host };
  if (target.apiKey !== null) setCredential(headers, exchange.protocol, target.apiKey);
  if (exchange.bodyRewritten) headers['content-length'] = String(exchange.info.body.length);
  const pending = sendUpstream(context.agents, { base: target.base, method: exchange.method, path: exchange.upstreamPath, headers, body: exchange.info.body }, exchange.timeoutMs);
  setAbort(pending.abort);
  const outcome = await pending.outcome;

  if (clientGone()) {
    if (outcome.kind === 'response') outcome.request.destroy();
    finishAttempt(exchange, attempt, context, { statusCode: outcome.kind === 'response' ? (outcome.response.statusCode ?? null) : null, failureClass: 'client_cancel', tap: null, ttft: null });
    return { kind: 'cancel' };
  }
  if (outcome.kind === 'error') {
    finishAttempt(exchange, attempt, context, { statusCode: null, failureClass: 'retryable', tap: null, ttft: null });
    return { kind: 'failed', reason: outcome.reason, timeout: outcome.timeout, kept: null };
  }

  const { response, request } = outcome;
  const status = response.statusCode ?? 502;
  if (isRetryableStatus(status)) {
    setAbort(() => request.destroy());
    const body = await readWhole(response, exchange.timeoutMs);
    if (clientGone()) {
      finishAttempt(exchange, attempt, context, { statusCode: status, failureClass: 'client_cancel', tap: null, ttft: null });
      return { kind: 'cancel' };
    }
    if (body === null) {
      request.destroy();
      finishAttempt(exchange, attempt, context, { statusCode: status, failureClass: 'retryable', tap: null, ttft: null });
      return { kind: 'failed', reason: `status ${status}, then the body broke off`, timeout: false, kept: null };
    }
    const failureClass = classifyStatus(status, body);
    finishAttempt(exchange, attempt, context, { statusCode: status, failureClass, tap: null, ttft: null });
    return {
      kind: 'failed',
      reason: `status ${status}${failureClass === 'retryable' ? '' : ` (${failureClass})`}`,
      timeout: false,
      kept: { status, statusMessage: response.statusMessage ?? '', rawHeaders: responseRawHeaders(response.rawHeaders, response.headers), body },
    };
  }
  return passThrough(exchange, attempt, client, context, response, request, setAbort);
}

/** Reads a (small) error body; null when it breaks off, stalls past the timeout, or is too large. */
function readWhole(response: IncomingMessage, idleMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer = setTimeout(() => done(null), idleMs);
    let settled = false;
    const done = (value: Buffer | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (value === null) response.destroy();
      resolve(value);
    };
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ERROR_BODY) return done(null);
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => done(null), idleMs);
    });
    response.on('end', () => done(Buffer.concat(chunks)));
    response.on('error', () => done(null));
    response.on('close', () => {
      if (!response.complete) done(null);
    });
  });
}

/**
 * Sends the upstream's response to the client as it arrives: headers at once, each chunk as it comes
 * (with backpressure), while the usage tap reads a copy. A failure after the headers cannot fail
 * over any more: the client's connection is cut so it sees a broken stream, not a clean end.
 */
function passThrough(
  exchange: Exchange,
  attempt: Attempt,
  client: ServerResponse,
  context: ExchangeContext,
  response: IncomingMessage,
  request: ClientRequest,
  setAbort: (abort: () => void) => void,
): Promise<Finish> {
  const status = response.statusCode ?? 502;
  const tap = createUsageTap(exchange.protocol, {
    path: exchange.clientPath,
    status,
    contentType: response.headers['content-type'],
    contentEncoding: response.headers['content-encoding'],
  });
  return new Promise<Finish>((resolve) => {
    let firstByteAt: number | null = null;
    let settled = false;
    let timer: NodeJS.Timeout | null = null;
    const armTimer = () => {
      // Restarted per chunk: refresh() moves the live timer instead of making a new one.
      if (timer) timer.refresh();
      else timer = setTimeout(() => fail('retryable', `no data for ${Math.round(exchange.timeoutMs / 1000)} s`), exchange.timeoutMs);
    };
    const stopTimer = () => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
    const settle = (finish: Finish, failureClass: FailureClass | null) => {
      if (settled) return;
      settled = true;
      stopTimer();
      const ttft = firstByteAt;
      // Recorded at once unless a compressed body is still being decoded.
      const result = tap.finishNow();
      if (result !== null) recordAttempt(exchange, attempt, context, { statusCode: status, failureClass, tap: result, ttft });
      else {
        void tap.finish().then(
          (later) => recordAttempt(exchange, attempt, context, { statusCode: status, failureClass, tap: later, ttft }),
          () => recordAttempt(exchange, attempt, context, { statusCode: status, failureClass, tap: null, ttft }),
        );
      }
      resolve(finish);
    };
    const fail = (failureClass: FailureClass, reason: string) => {
      if (settled) return;
      context.log(`proxy ${exchange.routeName}: ${describe(attempt.target)} broke off after the response started (${reason})`);
      request.destroy();
      response.destroy();
      client.destroy();
      settle({ kind: 'response', kept: null }, failureClass);
    };
    setAbort(() => {
      if (settled) return;
      request.destroy();
      response.destroy();
      settle({ kind: 'cancel' }, 'client_cancel');
    });
    client.on('close', () => {
      if (!settled && !client.writableFinished) {
        request.destroy();
        response.destroy();
        settle({ kind: 'cancel' }, 'client_cancel');
      }
    });

    client.writeHead(status, response.statusMessage ?? '', responseRawHeaders(response.rawHeaders, response.headers));
    // The headers leave with the first chunk (one write, not two) when it is already here, as it is
    // for most answers; otherwise once this turn of the event loop is over, so that a stream's
    // client sees them before the first event.
    let wroteBody = false;
    if (response.readableLength === 0) {
      setImmediate(() => {
        if (!wroteBody && !settled && !client.destroyed) client.flushHeaders();
      });
    }
    armTimer();
    response.on('data', (chunk: Buffer) => {
      if (settled) return;
      firstByteAt ??= performance.now();
      wroteBody = true;
      tap.push(chunk);
      if (client.write(chunk)) armTimer();
      else {
        // The client reads slowly: wait for it, without counting its slowness against the upstream.
        stopTimer();
        response.pause();
        client.once('drain', () => {
          if (settled) return;
          armTimer();
          response.resume();
        });
      }
    });
    response.on('end', () => {
      if (settled) return;
      client.end();
      settle({ kind: 'response', kept: null }, isSuccessStatus(status) ? null : classifyStatus(status, null));
    });
    response.on('error', () => fail('retryable', 'the upstream connection broke'));
    response.on('close', () => {
      if (!response.complete) fail('retryable', 'the upstream connection broke');
    });
  });
}

/** `proxy:<route>`, made once per route rather than once per record (records wait in memory until committed). */
const sourceOf = boundedMemo(1_000, (routeName: string): string => `proxy:${routeName}`.slice(0, 64));

/** finishAttempt from a stream's event handler: a mistake there is logged, never thrown into the socket's events. */
function recordAttempt(exchange: Exchange, attempt: Attempt, context: ExchangeContext, outcome: Parameters<typeof finishAttempt>[3]): void {
  try {
    finishAttempt(exchange, attempt, context, outcome);
  } catch (error) {
    context.log(`proxy ${exchange.routeName}: the request could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function finishAttempt(
  exchange: Exchange,
  attempt: Attempt,
  context: ExchangeContext,
  outcome: { statusCode: number | null; failureClass: FailureClass | null; tap: TapResult | null; ttft: number | null },
): void {
  const end = performance.now();
  let failureClass = outcome.failureClass;
  // A 2xx whose stream carried an error did not succeed: the upstream failed mid-answer.
  if (failureClass === null && outcome.tap?.streamError) failureClass = streamFailureClass(outcome.tap.streamErrorCode);
  const success = failureClass === null;
  try {
    context.breakers.release(attempt.lease, { success, failureClass });
  } catch (error) {
    context.log(`proxy ${exchange.routeName}: breaker update failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const usage = outcome.tap?.usage ?? null;
  const model = (exchange.info.model ?? outcome.tap?.model ?? '').trim().slice(0, 256) || '(unknown)';
  const latencyMs = clampMs(end - attempt.startedAt);
  const record: RequestRecord = {
    ts: attempt.ts,
    model,
    apiType: exchange.protocol,
    inputTokens: clampCount(usage?.inputTokens ?? 0),
    outputTokens: clampCount(usage?.outputTokens ?? 0),
    cacheReadTokens: clampCount(usage?.cacheReadTokens ?? 0),
    cacheWriteTokens: clampCount(usage?.cacheWriteTokens ?? 0),
    cacheWrite1hTokens: Math.min(clampCount(usage?.cacheWrite1hTokens ?? 0), clampCount(usage?.cacheWriteTokens ?? 0)),
    provider: providerOfBaseUrl(attempt.target.ref.baseUrl),
    success,
    failureClass,
    statusCode: outcome.statusCode !== null && outcome.statusCode >= 100 && outcome.statusCode <= 599 ? outcome.statusCode : null,
    latencyMs,
    ttftMs: exchange.info.stream && outcome.ttft !== null ? Math.min(clampMs(outcome.ttft - attempt.startedAt), latencyMs) : null,
    channel: attempt.target.ref.metricsKey,
    source: sourceOf(exchange.routeName),
    // Written in-process exactly once, so no idempotency key: an id would double the cost of the
    // write and add ~50 bytes per request on disk.
    requestId: null,
    project: exchange.project,
    branch: exchange.branch,
    // The same answer in an agent's log (Claude Code keeps message ids) is then counted once.
    responseId: outcome.tap?.responseId ?? null,
  };
  try {
    context.writer.add(record);
  } catch (error) {
    context.log(`proxy ${exchange.routeName}: the request could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
  }
}
