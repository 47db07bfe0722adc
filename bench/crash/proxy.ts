import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Random } from '../../electron/hosts/demo/random.js';
import { call } from './http.js';
import type { StoredRequest } from './snapshot.js';
import type { Violations } from './violations.js';

export const PROXY_ROUTE = 'crash';
export const PROXY_MODEL = 'crash-proxy';
export const PROXY_SOURCE = `proxy:${PROXY_ROUTE}`;

/**
 * Each proxied request carries its serial number; the upstream answers it as the prompt token count,
 * so every stored proxy record (which has no request id) names the request it came from.
 */
export function completionTokensOf(serial: number): number {
  return (serial * 7_919) % 1_000;
}

/** A tiny OpenAI-style upstream: a chat completion with `usage` after a few milliseconds. */
export class Upstream {
  private server: http.Server | null = null;
  port = 0;
  answered = 0;

  async start(seed: number): Promise<void> {
    const random = new Random(seed);
    this.server = http.createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (part: Buffer) => parts.push(part));
      request.on('end', () => {
        let serial = 0;
        try {
          const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { user?: string };
          serial = Number(/^crash-(\d+)$/.exec(body.user ?? '')?.[1] ?? 0);
        } catch {
          serial = 0;
        }
        const text = JSON.stringify({
          id: `chatcmpl-crash-${serial}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: PROXY_MODEL,
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: serial, completion_tokens: completionTokensOf(serial), total_tokens: serial + completionTokensOf(serial) },
        });
        setTimeout(() => {
          this.answered++;
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          response.end(text);
        }, random.int(1, 8));
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}

export interface ProxiedRequest {
  serial: number;
  life: number;
  /** performance.now() when the whole response had arrived; null when it never did. */
  doneAt: number | null;
  outcome: 'completed' | 'lost' | 'refused' | 'failed';
}

export interface ProxyBook {
  requests: Map<number, ProxiedRequest>;
  serial: number;
  /** performance.now() of each life's kill. */
  kills: Map<number, number>;
}

export function newProxyBook(): ProxyBook {
  return { requests: new Map(), serial: 0, kills: new Map() };
}

/** Drives proxied chat completions at a paced rate, `concurrency` in flight, until `running()` is false. */
export async function runProxyClients(port: number, book: ProxyBook, life: number, rate: number, concurrency: number, running: () => boolean, violations: Violations): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const started = performance.now();
  let issued = 0;
  const worker = async () => {
    while (running()) {
      const due = started + (issued / rate) * 1000;
      if (performance.now() < due) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(20, due - performance.now())));
        continue;
      }
      issued++;
      const serial = ++book.serial;
      const request: ProxiedRequest = { serial, life, doneAt: null, outcome: 'lost' };
      book.requests.set(serial, request);
      const raw = Buffer.from(JSON.stringify({ model: PROXY_MODEL, user: `crash-${serial}`, messages: [{ role: 'user', content: `request ${serial}` }] }));
      const outcome = await call(port, { agent, method: 'POST', path: `/r/${PROXY_ROUTE}/v1/chat/completions`, raw, anonymous: true, timeoutMs: 30_000 });
      if (outcome.kind === 'answered' && !outcome.reply.complete) {
        // Headers out, body cut by the kill: the client saw a broken response.
        request.outcome = 'lost';
      } else if (outcome.kind === 'answered') {
        const doneAt = performance.now();
        let usage: { prompt_tokens?: number } | undefined;
        try {
          usage = (JSON.parse(outcome.reply.text) as { usage?: { prompt_tokens?: number } }).usage;
        } catch {
          usage = undefined;
        }
        if (outcome.reply.status === 200 && usage?.prompt_tokens === serial) {
          request.outcome = 'completed';
          request.doneAt = doneAt;
        } else {
          request.outcome = 'failed';
          violations.add(`proxy-answer-${serial}`, `life ${life}: proxied request ${serial} was answered ${outcome.reply.status}: ${outcome.reply.text.slice(0, 200)}`);
        }
      } else if (outcome.kind === 'refused') request.outcome = 'refused';
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}

export interface ProxyCheck {
  completed: number;
  recorded: number;
  /** Completed more than window + margin before the kill and not recorded: must be 0. */
  lostOutsideWindow: number;
  /** Completed within window + margin of the kill and not recorded (what the buffer lost). */
  lostInsideWindow: number;
  /** Completed within window + margin of the kill, lost or not. */
  completedInsideWindow: number;
  /** The oldest lost completion: how long before the kill its response had ended (ms). */
  maxLostAgeMs: number | null;
  /** Cut mid-flight by the kill; recorded or not (at most once). */
  inFlight: number;
  inFlightRecorded: number;
  doubled: number;
  phantom: number;
}

/**
 * Every proxied request whose response ended more than `windowMs + marginMs` before the kill is
 * recorded; none is recorded twice or recorded without having been sent.
 */
export function checkProxy(book: ProxyBook, stored: readonly StoredRequest[], windowMs: number, marginMs: number, when: string, violations: Violations): ProxyCheck {
  const counts = new Map<number, number>();
  const check: ProxyCheck = { completed: 0, recorded: 0, lostOutsideWindow: 0, lostInsideWindow: 0, completedInsideWindow: 0, maxLostAgeMs: null, inFlight: 0, inFlightRecorded: 0, doubled: 0, phantom: 0 };
  for (const row of stored) {
    if (row.source !== PROXY_SOURCE) continue;
    const serial = row.inputTokens;
    const request = book.requests.get(serial);
    if (!request || row.model !== PROXY_MODEL || row.outputTokens !== completionTokensOf(serial)) {
      check.phantom++;
      violations.add(`proxy-phantom-${serial}`, `${when}: a proxy record ${JSON.stringify(row)} matches no request sent`);
      continue;
    }
    counts.set(serial, (counts.get(serial) ?? 0) + 1);
  }
  for (const request of book.requests.values()) {
    const count = counts.get(request.serial) ?? 0;
    if (count > 1) {
      check.doubled++;
      violations.add(`proxy-doubled-${request.serial}`, `${when}: proxied request ${request.serial} is recorded ${count} times`);
    }
    const killedAt = book.kills.get(request.life);
    if (request.outcome === 'completed') {
      check.completed++;
      if (count > 0) check.recorded++;
      // The life still running has nothing lost yet.
      if (killedAt === undefined) continue;
      const age = killedAt - request.doneAt!;
      const inside = age <= windowMs + marginMs;
      if (inside) check.completedInsideWindow++;
      if (count > 0) continue;
      check.maxLostAgeMs = Math.max(check.maxLostAgeMs ?? -Infinity, age);
      if (inside) check.lostInsideWindow++;
      else {
        check.lostOutsideWindow++;
        violations.add(`proxy-lost-${request.serial}`, `${when}: proxied request ${request.serial} completed ${age.toFixed(0)} ms before the kill of life ${request.life} and is not recorded`);
      }
    } else if (request.outcome === 'lost') {
      check.inFlight++;
      if (count > 0) check.inFlightRecorded++;
    } else if (request.outcome === 'refused' && count > 0) {
      check.phantom++;
      violations.add(`proxy-refused-${request.serial}`, `${when}: proxied request ${request.serial} never reached the server but is recorded`);
    }
  }
  return check;
}
