/**
 * Text written as UTF-8 straight into one buffer as it is made, so no part of a big answer lives
 * longer than the write of it. Kept alive until the end, 36,000 bucket strings of a month's hourly
 * history (8 MB) were copied by every scavenge they survived: a third of the call was GC.
 *
 * The buffer comes from `alloc` at the expected size; past it, a buffer half as big again takes the
 * bytes so far. The result is a view of the written bytes: the memory behind it may be longer (pages
 * never written are never touched), and it is whole to transfer.
 */
export class ByteWriter {
  private out: Buffer;
  private offset = 0;

  constructor(
    expectedBytes: number,
    private readonly alloc: (size: number) => Buffer,
  ) {
    this.out = alloc(Math.max(1024, Math.ceil(expectedBytes)));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.offset;
  }

  write(text: string): void {
    // Three bytes per UTF-16 unit at most: only near the end is the exact length worth counting.
    if (this.offset + text.length * 3 > this.out.length) {
      const needed = this.offset + Buffer.byteLength(text, 'utf8');
      if (needed > this.out.length) this.grow(needed);
    }
    this.offset += this.out.write(text, this.offset, 'utf8');
  }

  /** The bytes written, over the writer's buffer (not a copy). */
  bytes(): Buffer {
    return this.out.subarray(0, this.offset);
  }

  private grow(needed: number): void {
    const next = this.alloc(Math.max(needed, Math.ceil(this.out.length * 1.5)));
    this.out.copy(next, 0, 0, this.offset);
    this.out = next;
  }
}
