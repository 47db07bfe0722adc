import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { qwenFormat } from '../../../../../electron/sources/agents/formats/qwen.js';
import { requestRecordSchema } from '../../../../../shared/schemas/request-record.js';
import { fixtureReader, totals, type Totals } from './support.js';

/**
 * Qwen Code chat recordings (test/fixtures/agents/qwen/projects/<sanitised cwd>/chats), as its
 * chatRecordingService writes them: user, assistant (usageMetadata through the OpenAI converter, where
 * candidates include reasoning, and through Gemini, where they do not), tool_result, ui_telemetry
 * api_response events describing the same calls, a sidechain (sub-agent) round, a compression
 * checkpoint; and a /branch copy of the session with a turn of its own.
 */

const ROOT = path.resolve('test/fixtures/agents/qwen');
const A = 'projects/-home-dev-projects-delta/chats/5e0c8f4a-9b1d-4c2e-8f3a-7d6b5c4a3e21.jsonl';
const B = 'projects/-home-dev-projects-delta/chats/a8d7c6b5-4e3f-4a2b-9c1d-0e9f8a7b6c54.jsonl';

const { lines, read, readAtEveryCut } = fixtureReader(ROOT);

// Hand-counted (input = prompt - cached + tool, cache read = cached):
// a1 plus   20000/12000, out 500 (total 20500 = p + c)               -> 8000 / 12000 / 500
// a2 plus   24000/20000, candidates 900 hold the 300 thoughts (total 24900) -> 4000 / 20000 / 900
// a3 gemini-2.5-flash 10000/0, 200 + 150 thoughts (total 10350)      -> 10000 / 0 / 350
// a4 flash (sidechain) 5000/0, 100                                   -> 5000 / 0 / 100
// a5 plus   3000/1000, 50 (no total)                                  -> 2000 / 1000 / 50
// b1 plus   26000/24000, 400 (branch only)                            -> 2000 / 24000 / 400
const A_TOTALS: Record<string, Totals> = {
  'qwen3-coder-plus': { requests: 3, input: 14_000, output: 1_450, cacheRead: 33_000, cacheWrite: 0 },
  'gemini-2.5-flash': { requests: 1, input: 10_000, output: 350, cacheRead: 0, cacheWrite: 0 },
  'qwen3-coder-flash': { requests: 1, input: 5_000, output: 100, cacheRead: 0, cacheWrite: 0 },
};

describe('Qwen Code chat recordings', () => {
  it('finds chats under projects/<project>/chats only', () => {
    expect(qwenFormat.isLogFile(A)).toBe(true);
    expect(qwenFormat.isLogFile('tmp/abc/shell_history')).toBe(false);
    expect(qwenFormat.isLogFile('projects/x/memory.jsonl')).toBe(false);
  });

  it('honours QWEN_RUNTIME_DIR and QWEN_DATA_DIR, else ~/.qwen', () => {
    expect(qwenFormat.roots({ QWEN_DATA_DIR: '/data/q' }, '/home/u')).toEqual(['/data/q']);
    expect(qwenFormat.roots({ QWEN_RUNTIME_DIR: '/run/q', QWEN_DATA_DIR: '/data/q' }, '/home/u')).toEqual(['/run/q', '/data/q']);
    expect(qwenFormat.roots({}, '/home/u')).toEqual([path.join('/home/u', '.qwen')]);
  });

  it('counts each assistant response once, reasoning once, and never the telemetry or system records', () => {
    const records = read(qwenFormat, A);
    expect(records).toHaveLength(5);
    expect(totals(records)).toEqual(A_TOTALS);
  });

  it('carries project, branch, session and a provider from the model', () => {
    const records = read(qwenFormat, A);
    expect(records[0]).toMatchObject({
      ts: Date.parse('2025-10-07T11:00:06.000Z'),
      source: 'qwen',
      provider: 'qwen',
      project: '/home/dev/projects/delta',
      branch: 'main',
      sessionId: '5e0c8f4a-9b1d-4c2e-8f3a-7d6b5c4a3e21',
    });
    expect(records.find((record) => record.model === 'gemini-2.5-flash')?.provider).toBe('google');
    for (const record of records) expect(requestRecordSchema.safeParse(record).success).toBe(true);
  });

  it('counts a /branch copy once: copied records keep their uuid', () => {
    const branch = read(qwenFormat, B);
    expect(branch).toHaveLength(3);
    const together = totals([...read(qwenFormat, A), ...branch]);
    expect(together['qwen3-coder-plus']).toEqual({ requests: 4, input: 16_000, output: 1_850, cacheRead: 57_000, cacheWrite: 0 });
    expect(totals([...branch, ...read(qwenFormat, A)])).toEqual(together);
    expect(branch.at(-1)).toMatchObject({ branch: 'experiment', sessionId: 'a8d7c6b5-4e3f-4a2b-9c1d-0e9f8a7b6c54' });
  });

  it('resumes from a checkpoint at any line with the same result as one pass', () => {
    for (const file of [A, B]) {
      const { single, resumed } = readAtEveryCut(qwenFormat, file);
      for (const records of resumed) expect(records).toEqual(single);
    }
  });

  it('skips broken lines without losing the rest', () => {
    const parser = qwenFormat.openFile(A, undefined);
    const records = [parser.line('{"type":"assistant"'), parser.line('"x"'), ...lines(A).map((line) => parser.line(line))].flat();
    expect(totals(records)).toEqual(A_TOTALS);
  });
});
