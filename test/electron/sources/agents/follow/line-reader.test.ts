import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLines } from '../../../../../electron/sources/agents/follow/line-reader.js';
import { removeTempDirs, tempDir } from '../support.js';

afterEach(removeTempDirs);

async function collect(file: string, start: number, chunkBytes: number, maxLineBytes?: number) {
  const lines: string[] = [];
  let end = start;
  for await (const chunk of readLines(file, start, { chunkBytes, ...(maxLineBytes ? { maxLineBytes } : {}) })) {
    lines.push(...chunk.lines);
    end = chunk.end;
  }
  return { lines, end };
}

describe('reading complete lines', () => {
  it('splits on bytes, so characters across chunk boundaries decode whole; CRLF and empty lines kept apart', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    const text = '{"a":"通义千问"}\r\n\n{"b":"é😀"}\n';
    fs.writeFileSync(file, text);
    for (const chunkBytes of [1, 2, 3, 5, 7, 64]) {
      expect(await collect(file, 0, chunkBytes)).toEqual({ lines: ['{"a":"通义千问"}', '', '{"b":"é😀"}'], end: Buffer.byteLength(text) });
    }
  });

  it('leaves a last line without its newline for later, and resumes at the offset it answered', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    fs.writeFileSync(file, 'one\ntwo\nthr');
    const first = await collect(file, 0, 4);
    expect(first).toEqual({ lines: ['one', 'two'], end: 8 });
    fs.appendFileSync(file, 'ee\n');
    expect(await collect(file, first.end, 4)).toEqual({ lines: ['three'], end: 14 });
  });

  it('skips a line longer than the limit whole and goes on after it', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    fs.writeFileSync(file, `short\n${'x'.repeat(100)}\nafter\n`);
    expect(await collect(file, 0, 8, 32)).toEqual({ lines: ['short', 'after'], end: 6 + 101 + 6 });
  });
});
