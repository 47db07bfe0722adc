import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ForwardingStatus } from '../../../../shared/schemas/forwarding.js';
import type { RequestRecord } from '../../../../shared/schemas/request-record.js';
import { errorCode, Harness } from '../../ledger/store/harness.js';
import { FakeTarget, until } from './fake-target.js';

/**
 * Issue 17 item 3, the sender: batches to POST /api/v1/forward with the target's token, deletes only
 * what the target acknowledged, backs off (doubling, or as Retry-After says), halves the batch on 413,
 * says "rejected" when the token is refused, and loses nothing when a POST fails.
 */
const T0 = Date.UTC(2026, 10, 2, 9, 0);
const TOKEN = 'target-token-0123456789';

let h: Harness;
let target: FakeTarget;
beforeEach(async () => {
  h = new Harness(T0 + 3_600_000);
  target = new FakeTarget();
  await target.start();
});
afterEach(async () => {
  await h.service.forwarding.stop();
  await target.stop();
  h.close();
});

const record = (i: number): RequestRecord => ({
  ts: T0 + i * 1_000,
  model: 'qwen3-30b',
  apiType: null,
  inputTokens: 100 + i,
  outputTokens: 10,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  success: true,
  failureClass: null,
  statusCode: null,
  latencyMs: null,
  ttftMs: null,
  channel: null,
  source: null,
  requestId: `r-${i}`,
});
const waiting = () => h.ledger.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM forward_outbox`).get()!.n;

async function startForwarding(sender: { maxBatch?: number; backoffStartMs?: number; backoffMaxMs?: number } = {}): Promise<void> {
  await h.service.setForwarding({ enabled: true, targetUrl: target.url, token: TOKEN, hostName: 'gpu-box' });
  await h.service.forwarding.start({ sender: { maxBatch: 10, backoffStartMs: 40, backoffMaxMs: 400, idlePollMs: 30, ...sender } });
}

describe('the sender', () => {
  it('sends batches of at most the batch size with the token and host, and empties the outbox only as the target acknowledges', async () => {
    h.service.writeRecords(Array.from({ length: 25 }, (_, i) => record(i)));
    await startForwarding();
    await until(() => target.stored.size === 25 && waiting() === 0, 10_000, 'all 25 sent');
    expect(target.received.every((r) => r.authorization === `Bearer ${TOKEN}` && r.body.host === 'gpu-box')).toBe(true);
    expect(target.received.map((r) => r.body.requests.length)).toEqual([10, 10, 5]);
    await until(() => h.service.forwarding['forwarder']?.current.state === 'idle');
    const status = await h.service.getForwarding();
    expect(status).toMatchObject({ enabled: true, state: 'idle', hostName: 'gpu-box', fromCommandLine: false, waiting: { requests: 0, runs: 0, circuits: 0 }, sent: { requests: 25 }, lastError: null, oldestWaitingAt: null });
    expect(status.tokenMask).not.toContain(TOKEN.slice(3, -2));

    // New data wakes it.
    await h.service.ingestRequests({ model: 'qwen3-30b', inputTokens: 5, requestId: 'late' });
    await until(() => target.stored.has('late'), 5_000, 'the new record');
  });

  it('keeps everything after failed POSTs, backs off doubling, and a resend of a batch the target kept is stored once', async () => {
    h.service.writeRecords(Array.from({ length: 5 }, (_, i) => record(i)));
    target.script = [{ status: 500 }, { status: 500 }, { status: 500 }];
    await startForwarding({ backoffStartMs: 100 });
    await until(() => target.received.length === 2);
    const status = await h.service.getForwarding();
    expect(status.state).toBe('unreachable');
    expect(status.lastError).toContain('HTTP 500');
    expect(status.unreachableSince).not.toBeNull();
    expect(waiting()).toBe(5);
    await until(() => waiting() === 0, 10_000, 'the outbox to empty');
    const at = target.received.map((r) => r.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(90);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(190);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(390);
    expect([...target.stored.keys()].sort()).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
    expect((await h.service.getForwarding()).lastError).toBeNull();
  });

  it('loses nothing when the target is not there at all, and sends once it is', async () => {
    h.service.writeRecords([record(1)]);
    const url = target.url;
    await target.stop();
    await h.service.setForwarding({ enabled: true, targetUrl: url, token: TOKEN });
    await h.service.forwarding.start({ sender: { backoffStartMs: 40, backoffMaxMs: 200, idlePollMs: 30 } });
    await until(() => h.service.forwarding['forwarder']?.current.state === 'unreachable');
    expect((await h.service.getForwarding()).lastError).toMatch(/did not answer/);
    expect(waiting()).toBe(1);
    await target.start(Number(new URL(url).port));
    await until(() => waiting() === 0, 5_000, 'the send once the target is back');
    expect([...target.stored.keys()]).toEqual(['r-1']);
    expect((await h.service.getForwarding()).unreachableSince).toBeNull();
  });

  it('waits as long as Retry-After says on 429 and 503', async () => {
    h.service.writeRecords([record(1)]);
    target.script = [{ status: 503, headers: { 'Retry-After': '1' } }];
    await startForwarding({ backoffStartMs: 20 });
    await until(() => target.received.length === 2, 5_000, 'the retry');
    expect(target.received[1]!.at - target.received[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('halves the batch on 413', async () => {
    h.service.writeRecords(Array.from({ length: 12 }, (_, i) => record(i)));
    target.script = [{ status: 413, body: { error: { code: 'payload_too_large', message: 'too large' } } }];
    await startForwarding();
    await until(() => waiting() === 0);
    expect(target.received.map((r) => r.body.requests.length)).toEqual([10, 5, 5, 2]);
  });

  it('says "rejected" when the token is refused and when a batch is refused, deletes nothing, and goes on once accepted', async () => {
    h.service.writeRecords([record(1)]);
    target.script = [{ status: 401 }, { status: 400, body: { error: { code: 'validation_failed', message: 'requests.0.model: model name must not be empty' } } }];
    await startForwarding({ backoffMaxMs: 150 });
    await until(() => target.received.length === 1);
    await until(() => h.service.forwarding['forwarder']?.current.lastError !== null);
    let status: ForwardingStatus = await h.service.getForwarding();
    expect(status.state).toBe('rejected');
    expect(status.lastError).toMatch(/the target refused the token \(HTTP 401\)/);
    expect(waiting()).toBe(1);
    await until(() => target.received.length === 2);
    await until(() => (h.service.forwarding['forwarder']?.current.lastError ?? '').includes('model name must not be empty'));
    status = await h.service.getForwarding();
    expect(status.state).toBe('rejected');
    expect(waiting()).toBe(1);
    await until(() => waiting() === 0, 5_000, 'the accepted resend');
  });
});

describe('PUT /forwarding', () => {
  it('names the missing field, keeps the token out of the database and the answers, and is locked by the command line', async () => {
    expect(await errorCode(h.service.setForwarding({ enabled: true }))).toBe('validation_failed');
    await expect(h.service.setForwarding({ enabled: true, targetUrl: 'ftp://x' })).rejects.toThrow(/targetUrl/);
    await expect(h.service.setForwarding({ enabled: true, targetUrl: target.url })).rejects.toThrow(/token/);
    const status = await h.service.setForwarding({ enabled: true, targetUrl: `${target.url}/api/v1/`, token: TOKEN, hostName: 'gpu-box' });
    expect(status).toMatchObject({ enabled: true, targetUrl: target.url, hostName: 'gpu-box', state: 'idle', fromCommandLine: false });
    expect(JSON.stringify(status)).not.toContain(TOKEN);
    const settings = h.ledger.db.prepare(`SELECT group_concat(value) AS v FROM settings`).get() as { v: string };
    expect(settings.v).toContain(target.url);
    expect(settings.v).not.toContain(TOKEN);
    // Absent token: the stored one is kept.
    expect((await h.service.setForwarding({ enabled: false })).tokenMask).toBe(status.tokenMask);
    expect((await h.service.getForwarding()).state).toBe('off');

    await h.service.forwarding.start({ commandLine: { targetUrl: target.url, token: TOKEN, hostName: 'cli-box' }, sender: { idlePollMs: 30 } });
    expect(await h.service.getForwarding()).toMatchObject({ fromCommandLine: true, enabled: true, hostName: 'cli-box' });
    expect(await errorCode(h.service.setForwarding({ enabled: false }))).toBe('conflict');
  });

  it('sends its status as forwarding events, at most about once a second', async () => {
    const events: ForwardingStatus[] = [];
    h.service.events.subscribe((event) => {
      if (event.type === 'forwarding') events.push(event.status);
    });
    h.service.writeRecords(Array.from({ length: 40 }, (_, i) => record(i)));
    await startForwarding({ maxBatch: 2 });
    await until(() => waiting() === 0);
    await until(() => events.some((e) => e.sent.requests === 40), 5_000, 'the last status');
    expect(events.length).toBeLessThanOrEqual(3);
  });
});
