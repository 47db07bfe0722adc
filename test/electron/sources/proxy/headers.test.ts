import { describe, expect, it } from 'vitest';
import { endToEndHeaders, isLoopbackHost, responseRawHeaders } from '../../../../electron/sources/proxy/headers.js';

/** Connection and Host values are remembered between requests: each value must still get its own answer. */
describe('proxy headers: answers kept per header value', () => {
  it('drops the headers each Connection value names, and only those, request after request', () => {
    const request = { connection: 'keep-alive, X-Trace', 'x-trace': '1', 'x-other': '2', 'content-type': 'application/json' };
    for (let i = 0; i < 2; i++) {
      expect(endToEndHeaders(request)).toEqual({ 'x-other': '2', 'content-type': 'application/json' });
      expect(endToEndHeaders({ ...request, connection: 'X-Other' })).toEqual({ 'x-trace': '1', 'content-type': 'application/json' });
      expect(endToEndHeaders({ ...request, connection: 'keep-alive' })).toEqual({ 'x-trace': '1', 'x-other': '2', 'content-type': 'application/json' });
    }
    const raw = ['Content-Type', 'application/json', 'Connection', 'close, X-Trace', 'X-Trace', '1'];
    expect(responseRawHeaders(raw, { connection: 'close, X-Trace' })).toEqual(['Content-Type', 'application/json', 'Content-Security-Policy', 'sandbox', 'X-Content-Type-Options', 'nosniff']);
  });

  it('tells loopback Host headers from others whatever was asked before', () => {
    const hosts: [string, boolean][] = [
      ['127.0.0.1:7423', true],
      ['evil.example:7423', false],
      ['localhost', true],
      ['[::1]:80', true],
      ['127.0.0.1.evil.example', false],
    ];
    for (let i = 0; i < 2; i++) for (const [host, loopback] of hosts) expect(isLoopbackHost(host), host).toBe(loopback);
    // More distinct values than are kept: the oldest are forgotten, the answers stay right.
    for (let n = 0; n < 200; n++) expect(isLoopbackHost(`host-${n}.example:1`)).toBe(false);
    for (const [host, loopback] of hosts) expect(isLoopbackHost(host), host).toBe(loopback);
  });
});
