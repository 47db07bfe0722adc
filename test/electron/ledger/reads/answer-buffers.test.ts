import { describe, expect, it } from 'vitest';
import { AnswerBuffers, RECYCLED_MIN_BYTES, recyclable } from '../../../../electron/ledger/reads/answer-buffers.js';

/**
 * The read worker writes big answers into memory it keeps: a buffer handed back after its answer was
 * sent serves a later answer, so the pages of a 300 KB history are not mapped and faulted in again.
 */
describe("the read worker's answer buffers", () => {
  it('gives exactly the size asked, over a buffer of its own', () => {
    const buffers = new AnswerBuffers();
    for (const size of [0, 10, RECYCLED_MIN_BYTES - 1, RECYCLED_MIN_BYTES, 300_000, 3_000_000]) {
      const bytes = buffers.take(size);
      expect(bytes.length).toBe(size);
      expect(bytes.byteOffset).toBe(0);
      // Never a slice of Buffer's shared pool: it must be transferable on its own.
      expect(bytes.buffer.byteLength).toBeGreaterThanOrEqual(size);
    }
  });

  it('serves a later answer from a buffer given back, the smallest that fits', () => {
    const buffers = new AnswerBuffers();
    const big = buffers.take(900_000).buffer as ArrayBuffer;
    const mid = buffers.take(300_000).buffer as ArrayBuffer;
    buffers.give(big);
    buffers.give(mid);
    const again = buffers.take(280_000);
    expect(again.buffer).toBe(mid);
    expect(again.length).toBe(280_000);
    expect(buffers.take(600_000).buffer).toBe(big);
    expect(buffers.size).toBe(0);
    // Nothing kept fits: a new one, rounded up so that it serves answers a little bigger next time.
    expect(buffers.take(1_000_000).buffer.byteLength).toBe(2 ** 20);
  });

  it('keeps neither small buffers (the allocator reuses those) nor very big ones', () => {
    const buffers = new AnswerBuffers();
    expect(recyclable(buffers.take(1_000).buffer)).toBe(false);
    expect(recyclable(buffers.take(5_000_000).buffer)).toBe(false);
    buffers.give(new ArrayBuffer(1_000));
    buffers.give(new ArrayBuffer(5_000_000));
    expect(buffers.size).toBe(0);
    expect(recyclable(buffers.take(RECYCLED_MIN_BYTES).buffer)).toBe(true);
  });

  it('keeps a few buffers at most, letting the smallest go', () => {
    const buffers = new AnswerBuffers();
    const sizes = [70_000, 400_000, 140_000, 300_000, 1_500_000];
    const taken = sizes.map((size) => buffers.take(size).buffer as ArrayBuffer);
    for (const buffer of taken) buffers.give(buffer);
    expect(buffers.size).toBe(4);
    // The 70 KB one went: what is left serves the bigger answers.
    expect(buffers.take(100_000).buffer).toBe(taken[2]);
  });
});
