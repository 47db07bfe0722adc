import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { CONNECTION_LIMITS, UploadGate } from '../../../../electron/hosts/http/limits.js';

/**
 * The gate in front of large bodies: a few are read at once, the next ones wait unread in arrival
 * order, and only past the waiting room is one refused. A place is given back when an answer is done
 * or its connection drops, and a caller who hangs up while waiting leaves the queue.
 */
interface Call {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The response closing: answered, or the connection dropped. */
  close(): void;
}

function call(bytes: number | 'chunked', encoding?: string): Call {
  const raw = new EventEmitter();
  const headers = bytes === 'chunked' ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(bytes), ...(encoding ? { 'content-encoding': encoding } : {}) };
  return { request: { headers } as unknown as FastifyRequest, reply: { raw } as unknown as FastifyReply, close: () => raw.emit('close') };
}

const LARGE = CONNECTION_LIMITS.largeUploadBytes + 1;

function admit(gate: UploadGate, of: Call): { state: () => 'reading' | 'waiting' | 'refused' } {
  let state: 'reading' | 'waiting' | 'refused' = 'waiting';
  gate.admit(
    of.request,
    of.reply,
    () => (state = 'reading'),
    () => (state = 'refused'),
  );
  return { state: () => state };
}

describe('the upload gate', () => {
  it('reads small bodies at once, whatever is in flight; a small compressed one counts as large (it may inflate)', () => {
    const gate = new UploadGate(1, 1);
    const big = admit(gate, call(LARGE));
    expect(big.state()).toBe('reading');
    expect(admit(gate, call(CONNECTION_LIMITS.largeUploadBytes)).state()).toBe('reading');
    expect(admit(gate, call(CONNECTION_LIMITS.largeUploadBytes, 'identity')).state()).toBe('reading');
    expect(admit(gate, call(1_000, 'gzip')).state()).toBe('waiting');
  });

  it('lets the next large body wait, reads the waiting ones in arrival order as places free, and refuses one past the waiting room', () => {
    const gate = new UploadGate(2, 2);
    const calls = [call(LARGE), call('chunked'), call(LARGE), call(LARGE), call(LARGE)];
    const admitted = calls.map((each) => admit(gate, each));
    expect(admitted.map((each) => each.state())).toEqual(['reading', 'reading', 'waiting', 'waiting', 'refused']);
    calls[1]!.close();
    expect(admitted.map((each) => each.state())).toEqual(['reading', 'reading', 'reading', 'waiting', 'refused']);
    calls[0]!.close();
    expect(admitted[3]!.state()).toBe('reading');
    // Two are read again, none waits: the next one reads once a place frees, not before.
    const later = call(LARGE);
    const admittedLater = admit(gate, later);
    expect(admittedLater.state()).toBe('waiting');
    calls[2]!.close();
    expect(admittedLater.state()).toBe('reading');
  });

  it('drops a caller who hung up while waiting, so the place goes to the next one', () => {
    const gate = new UploadGate(1, 2);
    const [first, gone, next] = [call(LARGE), call(LARGE), call(LARGE)];
    const admitted = [first, gone, next].map((each) => admit(gate, each));
    gone.close();
    first.close();
    expect(admitted.map((each) => each.state())).toEqual(['reading', 'waiting', 'reading']);
    // The place taken by `next` is given back once: a later body is read after it, not before.
    const later = admit(gate, call(LARGE));
    expect(later.state()).toBe('waiting');
    next.close();
    expect(later.state()).toBe('reading');
  });
});
