/**
 * Answers at least this big are written into kept memory and their buffer comes back (recycle) once
 * the main thread has sent them. A fresh buffer this size is memory the kernel must map and fault in
 * page by page, and once it was transferred and freed on the main thread the worker never gets it
 * back: on the development machine (a VM, ~14 µs per 4 KiB page fault) a 30-day history's 300-365 KB
 * cost ~1.3 ms of faults every time, a tenth of the whole call. Smaller answers come from the
 * allocator's own free lists.
 */
export const RECYCLED_MIN_BYTES = 64 * 1024;

/** Buffers kept for reuse, at most: a worker has two calls in flight, each answer is sent once. */
const KEPT_BUFFERS = 4;
/** Bigger buffers are let go: a rare 1.6 MB answer should not hold its memory for good. */
const KEPT_MAX_BYTES = 2 * 1024 * 1024;

/** Whether an answer's buffer is worth sending back to its worker once sent. */
export function recyclable(buffer: ArrayBufferLike): boolean {
  return buffer.byteLength >= RECYCLED_MIN_BYTES && buffer.byteLength <= KEPT_MAX_BYTES;
}

/**
 * The read worker's answer memory: `take` gives a Buffer of exactly `size` bytes over a buffer of its
 * own (transferable), a kept one when one is big enough; `give` takes a buffer back after the main
 * thread sent its answer. Kept buffers are rounded up to a power of two, so one serves answers that
 * vary a little from call to call.
 */
export class AnswerBuffers {
  private readonly kept: ArrayBuffer[] = [];

  take(size: number): Buffer {
    if (size < RECYCLED_MIN_BYTES || size > KEPT_MAX_BYTES) return Buffer.allocUnsafeSlow(size);
    let best = -1;
    for (let i = 0; i < this.kept.length; i++) {
      const length = this.kept[i]!.byteLength;
      if (length >= size && (best < 0 || length < this.kept[best]!.byteLength)) best = i;
    }
    const buffer = best < 0 ? new ArrayBuffer(2 ** Math.ceil(Math.log2(size))) : this.kept.splice(best, 1)[0]!;
    return Buffer.from(buffer, 0, size);
  }

  give(buffer: ArrayBuffer): void {
    if (!recyclable(buffer)) return;
    this.kept.push(buffer);
    if (this.kept.length > KEPT_BUFFERS) {
      // The smallest goes: the big answers are the ones whose memory is dear to fault in.
      let smallest = 0;
      for (let i = 1; i < this.kept.length; i++) if (this.kept[i]!.byteLength < this.kept[smallest]!.byteLength) smallest = i;
      this.kept.splice(smallest, 1);
    }
  }

  /** Buffers kept now (for tests). */
  get size(): number {
    return this.kept.length;
  }
}
