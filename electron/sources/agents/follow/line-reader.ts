import { open } from 'node:fs/promises';

export interface LineChunk {
  /** Complete lines, without their line ends, in file order. */
  lines: string[];
  /** Byte offset right after the last complete line of this chunk. */
  end: number;
}

export interface LineReadOptions {
  /** Bytes read per call (default 1 MiB): what bounds memory, with maxLineBytes. */
  chunkBytes?: number;
  /** A longer line is skipped whole (default 64 MiB): memory stays bounded on a corrupt file. */
  maxLineBytes?: number;
  /** Counts every byte read from disk (tests prove a restart does not re-read). */
  onBytes?: (bytes: number) => void;
}

const NEWLINE = 0x0a;

/**
 * Reads the complete lines of a file from `start`, a chunk at a time. A last line without its newline
 * is not returned (the writer may be in the middle of it): the last chunk's `end` stops before it,
 * and the next read starts there. Lines are split on bytes, so a UTF-8 character across a chunk
 * boundary is decoded whole.
 */
export async function* readLines(file: string, start: number, options: LineReadOptions = {}): AsyncGenerator<LineChunk> {
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  const maxLineBytes = options.maxLineBytes ?? 64 << 20;
  const handle = await open(file, 'r');
  try {
    let position = start;
    // Bytes of the line in progress carried from earlier chunks.
    let carry: Buffer[] = [];
    let carried = 0;
    let skipping = false;
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position);
      if (bytesRead === 0) return;
      options.onBytes?.(bytesRead);
      const chunkStart = position;
      position += bytesRead;
      const view = buffer.subarray(0, bytesRead);
      const lines: string[] = [];
      let lineStart = 0;
      let end = -1;
      for (let index = view.indexOf(NEWLINE, 0); index !== -1; index = view.indexOf(NEWLINE, index + 1)) {
        if (skipping) {
          skipping = false;
        } else if (carried > 0) {
          carry.push(view.subarray(lineStart, index));
          lines.push(decode(Buffer.concat(carry)));
        } else {
          lines.push(decode(view.subarray(lineStart, index)));
        }
        carry = [];
        carried = 0;
        lineStart = index + 1;
        end = chunkStart + index + 1;
      }
      if (lineStart < bytesRead && !skipping) {
        // Copied: the buffer is reused by the next read.
        carry.push(Buffer.from(view.subarray(lineStart)));
        carried += bytesRead - lineStart;
        if (carried > maxLineBytes) {
          carry = [];
          carried = 0;
          skipping = true;
        }
      }
      if (end !== -1) yield { lines, end };
    }
  } finally {
    await handle.close();
  }
}

function decode(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
