import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../../../electron/ledger/reads/byte-writer.js';

describe('ByteWriter', () => {
  it('writes UTF-8 into one buffer and grows it past the expected size, keeping what was written', () => {
    const sizes: number[] = [];
    const writer = new ByteWriter(0, (size) => {
      sizes.push(size);
      return Buffer.alloc(size);
    });
    const parts = ['{"a":', '"通义千问 ü"', ',"b":[', 'x'.repeat(3_000), '],"c":"😀"}'];
    for (const part of parts) writer.write(part);
    expect(writer.bytes().toString('utf8')).toBe(parts.join(''));
    expect(writer.length).toBe(Buffer.byteLength(parts.join('')));
    // Exactly what is needed, or half as big again: here the long part needs more, the last one less.
    expect(sizes).toEqual([1024, 3028, 4542]);
  });

  it('gives a view of its own buffer: nothing copied when the size was right', () => {
    const buffers: Buffer[] = [];
    const writer = new ByteWriter(64, (size) => {
      buffers.push(Buffer.alloc(size));
      return buffers[buffers.length - 1]!;
    });
    writer.write('hello');
    const bytes = writer.bytes();
    expect(bytes.buffer).toBe(buffers[0]!.buffer);
    expect(bytes.byteOffset).toBe(buffers[0]!.byteOffset);
    expect(bytes.toString()).toBe('hello');
  });
});
