import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsKey } from '../../../../electron/ledger/channels/metrics-key.js';
import { startFakeUpstream, type FakeUpstream } from './support/upstreams.js';
import { chatBody, rawRequest, removeDataDir, startProxyServer, startScriptedUpstream, type ProxyServer } from './harness.js';

let server: ProxyServer;
let a: FakeUpstream;
let b: FakeUpstream;
const extra: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  server = await startProxyServer();
  a = await startFakeUpstream();
  b = await startFakeUpstream();
  await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: a.url, label: 'a' }, { baseUrl: b.url, label: 'b' }] });
});
afterEach(async () => {
  await server.close();
  await Promise.all([a.close(), b.close(), ...extra.splice(0).map((upstream) => upstream.close())]);
  removeDataDir(server.dataDir);
});

const chat = (route = 'main', target: ProxyServer = server) =>
  rawRequest(`${target.url}/r/${route}/v1/chat/completions`, { body: chatBody(), headers: { 'content-type': 'application/json' } });
const keyA = () => metricsKey(a.url, '');
const keyB = () => metricsKey(b.url, '');

describe('metering proxy: circuit breakers', () => {
  it('opens after five consecutive retryable failures; the open channel is then skipped', async () => {
    a.setFault({ kind: 'status', status: 500 });
    for (let i = 0; i < 4; i++) expect((await chat()).status).toBe(200);
    expect(await server.circuit(keyA())).toMatchObject({ state: 'closed', consecutiveFailures: 4, baseUrl: a.url, label: 'a' });
    expect((await chat()).status).toBe(200);
    const opened = await server.circuit(keyA());
    expect(opened).toMatchObject({ state: 'open', consecutiveFailures: 5, openedAt: server.clock.now, nextRetryAt: server.clock.now + 30_000, backoffLevel: 0 });
    // The first stored state is the channel's first sighting (from: null), then the opening.
    expect(await server.transitions(keyA())).toEqual(['null->closed', 'closed->open']);
    expect((await server.events(keyA())).at(-1)!.reason).toBe('5 consecutive failures');
    expect(server.logs.some((line) => line.includes('circuit openai') && line.includes('closed -> open'))).toBe(true);

    expect((await chat()).status).toBe(200);
    expect(a.requests).toHaveLength(5);
    expect(b.requests).toHaveLength(6);
  });

  it('announces every change of state as a circuits event', async () => {
    const seen: string[] = [];
    const unsubscribe = server.service.events.subscribe((event) => {
      if (event.type === 'circuits') seen.push(`${event.metricsKey}:${event.state}`);
    });
    a.setFault({ kind: 'status', status: 529 });
    await chat();
    await server.circuit(keyA());
    unsubscribe();
    expect(seen).toEqual([`${keyA()}:open`]);
  });

  it('an overloaded answer (529) opens the breaker at once', async () => {
    a.setFault({ kind: 'status', status: 529 }, 1);
    expect((await chat()).status).toBe(200);
    expect(await server.circuit(keyA())).toMatchObject({ state: 'open', consecutiveFailures: 1 });
    expect((await server.events(keyA())).map((event) => event.reason)).toEqual(['upstream overloaded']);
    await chat();
    expect(a.requests).toHaveLength(1);
  });

  it('after the backoff the next request is the half-open probe: a success closes the breaker', async () => {
    a.setFault({ kind: 'status', status: 529 }, 1);
    await chat();
    server.clock.advance(30_000);
    expect((await chat()).status).toBe(200);
    expect(a.requests).toHaveLength(2);
    expect(b.requests).toHaveLength(1);
    expect(await server.circuit(keyA())).toMatchObject({ state: 'closed', consecutiveFailures: 0, openedAt: null, nextRetryAt: null, backoffLevel: 0 });
    expect(await server.transitions(keyA())).toEqual(['null->open', 'open->half_open', 'half_open->closed']);
  });

  it('a failed probe opens the breaker again, one backoff level higher', async () => {
    a.setFault({ kind: 'status', status: 500 });
    for (let i = 0; i < 5; i++) await chat();
    server.clock.advance(30_000);
    await chat();
    expect(a.requests).toHaveLength(6);
    expect(await server.circuit(keyA())).toMatchObject({ state: 'open', backoffLevel: 1, nextRetryAt: server.clock.now + 60_000 });
  });

  it('when every channel is open, the one whose retry comes first is probed', async () => {
    // b opens first (through a route of its own), a ten seconds later: b's retry is nearer.
    await server.saveRoute('only-b', { protocol: 'openai', channels: [{ baseUrl: b.url }] });
    b.setFault({ kind: 'status', status: 529 }, 1);
    expect((await chat('only-b')).status).toBe(529);
    server.clock.advance(10_000);
    a.setFault({ kind: 'status', status: 529 }, 1);
    expect((await chat()).status).toBe(529);
    expect((await server.circuits()).map((circuit) => circuit.state)).toEqual(['open', 'open']);

    const got = await chat();
    expect(got.status).toBe(200);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(2);
    expect(await server.circuit(keyB())).toMatchObject({ state: 'closed' });
    expect(await server.circuit(keyA())).toMatchObject({ state: 'open' });
    expect(await server.transitions(keyB())).toEqual(['null->open', 'open->half_open', 'half_open->closed']);
  });

  it('a manual reset and an external report are honoured at once', async () => {
    a.setFault({ kind: 'status', status: 529 }, 1);
    await chat();
    expect((await server.circuit(keyA()))!.state).toBe('open');
    await server.service.resetCircuit({ metricsKey: keyA(), apiType: 'openai' });
    await chat();
    expect(a.requests).toHaveLength(2);

    await server.service.putCircuits({ metricsKey: keyA(), apiType: 'openai', state: 'open', nextRetryAt: server.clock.now + 3_600_000 });
    await chat();
    expect(a.requests).toHaveLength(2);
    expect(b.requests).toHaveLength(2);
  });

  it('states persist: after a restart on the same data folder an open channel stays skipped', async () => {
    a.setFault({ kind: 'status', status: 529 }, 1);
    await chat();
    expect((await server.circuit(keyA()))!.state).toBe('open');
    await server.close();
    server = await startProxyServer({ dataDir: server.dataDir, clock: server.clock });
    await chat();
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(2);
    server.clock.advance(30_000);
    await chat();
    expect(a.requests).toHaveLength(2);
    expect((await server.circuit(keyA()))!.state).toBe('closed');
  });

  it('a client that goes away mid-stream is recorded as client_cancel, and the breaker is untouched', async () => {
    let upstreamSawClose = false;
    const slow = await startScriptedUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n');
      response.on('close', () => (upstreamSawClose = true));
    });
    extra.push(slow);
    await server.saveRoute('slow', { protocol: 'openai', channels: [{ baseUrl: slow.url }] });
    const controller = new AbortController();
    let firstChunk = '';
    const pending = rawRequest(`${server.url}/r/slow/v1/chat/completions`, {
      body: chatBody({ stream: true }),
      headers: { 'content-type': 'application/json' },
      signal: controller.signal,
      onChunk: (chunk) => {
        firstChunk ||= chunk.toString();
        controller.abort();
      },
    });
    await expect(pending).rejects.toThrow();
    expect(firstChunk).toContain('"Hel"');
    const [record] = await server.records(1);
    expect(record).toMatchObject({ success: false, failureClass: 'client_cancel', statusCode: 200, channel: metricsKey(slow.url, '') });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstreamSawClose).toBe(true);
    expect(await server.circuit(metricsKey(slow.url, ''))).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('a client that gives up while waiting for the headers: client_cancel, upstream request aborted, breaker untouched', async () => {
    let upstreamSawClose = false;
    const silent = await startScriptedUpstream((request) => {
      request.socket.on('close', () => (upstreamSawClose = true));
    });
    extra.push(silent);
    await server.saveRoute('silent', { protocol: 'openai', channels: [{ baseUrl: silent.url }] });
    const controller = new AbortController();
    const pending = rawRequest(`${server.url}/r/silent/v1/chat/completions`, { body: chatBody(), headers: { 'content-type': 'application/json' }, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await expect(pending).rejects.toThrow();
    const [record] = await server.records(1);
    expect(record).toMatchObject({ success: false, failureClass: 'client_cancel', statusCode: null });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstreamSawClose).toBe(true);
    expect(await server.circuit(metricsKey(silent.url, ''))).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(await server.transitions(metricsKey(silent.url, ''))).toEqual([]);
  });
});
