import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  at: number;
  authorization: string | undefined;
  body: { host: string; requests: { requestId: string; inputTokens: number }[]; runs: unknown[]; circuits: unknown[] };
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A loopback stand-in for another ModelMeter's POST /api/v1/forward: it records every batch it is
 * sent and answers what the test scripts (200 once the script runs out). Like the real one it keeps a
 * request once per requestId, so a resend is visible as such.
 */
export class FakeTarget {
  readonly received: Received[] = [];
  readonly stored = new Map<string, { inputTokens: number }>();
  script: Answer[] = [];
  private server: http.Server | null = null;
  url = '';

  /** On `port` when given (a target coming back where it was), else on a free one. */
  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'];
        this.received.push({ at: Date.now(), authorization: req.headers.authorization, body });
        const answer = this.script.shift() ?? { status: 200 };
        // A batch answered with an error may still have been stored (the answer was lost): keep it on a 5xx.
        if (answer.status === 200 || answer.status >= 500) for (const r of body.requests) this.stored.set(r.requestId, r);
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body ?? { ok: true }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
