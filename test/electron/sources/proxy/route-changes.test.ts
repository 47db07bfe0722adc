import { describe, expect, it } from 'vitest';
import { metricsKey } from '../../../../electron/ledger/channels/metrics-key.js';
import { chatBody, rawRequest, startScriptedUpstream, type ProxyServer, useProxyServerPerTest } from './harness.js';

let server: ProxyServer;
const track = useProxyServerPerTest(
  (started) => (server = started),
  () => server,
);

const ANSWER = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-test', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } });

async function answering() {
  return track(
    await startScriptedUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(ANSWER);
    }),
  );
}

const call = (key: string) =>
  rawRequest(`${server.url}/r/main/v1/chat/completions`, { body: chatBody(), headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } });

/**
 * The proxy keeps each route ready to call (channels, keys, breaker refs) between requests instead of
 * building it per request: every change of the configuration must still show on the next request.
 */
describe('metering proxy: route changes reach the next request', () => {
  it('follows edits of the base URL, the held key and the enabled flag, and each client key on its own channel', async () => {
    const first = await answering();
    const second = await answering();
    const saved = await server.service.saveRoute({ name: 'main', route: { protocol: 'openai', channels: [{ baseUrl: first.url }] } });
    const id = saved.channels[0]!.id;

    // No held key: each client's own key goes upstream, and each is its own channel.
    expect((await call('sk-client-one')).status).toBe(200);
    expect((await call('sk-client-two')).status).toBe(200);
    expect(first.requests.map((request) => request.headers.authorization)).toEqual(['Bearer sk-client-one', 'Bearer sk-client-two']);

    // Pointed elsewhere with a key the app holds: the next call goes there, with that key.
    await server.service.saveRoute({ name: 'main', route: { protocol: 'openai', channels: [{ id, baseUrl: second.url, apiKey: 'sk-held-key-0001' }] } });
    expect((await call(server.token)).status).toBe(200);
    expect(first.requests).toHaveLength(2);
    expect(second.requests.map((request) => request.headers.authorization)).toEqual(['Bearer sk-held-key-0001']);

    // The held key dropped: the client's key is used again.
    await server.service.saveRoute({ name: 'main', route: { protocol: 'openai', channels: [{ id, baseUrl: second.url, apiKey: null }] } });
    expect((await call('sk-client-one')).status).toBe(200);
    expect(second.requests.map((request) => request.headers.authorization)).toEqual(['Bearer sk-held-key-0001', 'Bearer sk-client-one']);

    const records = await server.records(4);
    expect(records.map((record) => record.channel)).toEqual([
      metricsKey(first.url, 'sk-client-one'),
      metricsKey(first.url, 'sk-client-two'),
      metricsKey(second.url, 'sk-held-key-0001'),
      metricsKey(second.url, 'sk-client-one'),
    ]);

    // Disabled: refused at once, nothing forwarded.
    await server.service.saveRoute({ name: 'main', route: { protocol: 'openai', enabled: false, channels: [{ id, baseUrl: second.url }] } });
    expect((await call('sk-client-one')).status).toBe(404);
    expect(second.requests).toHaveLength(2);
  });
});
