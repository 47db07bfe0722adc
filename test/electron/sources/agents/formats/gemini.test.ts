import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { geminiFormat } from '../../../../../electron/sources/agents/formats/gemini.js';
import { requestRecordSchema } from '../../../../../shared/schemas/request-record.js';
import { fixtureReader, totals, type Totals } from './support.js';

/**
 * Gemini CLI chat recordings (test/fixtures/agents/gemini/.gemini/tmp/<sha256(cwd)>/chats), written as
 * chatRecordingService.ts writes them: a header, messages re-appended whole when they change (a tool
 * call finishing, tokens arriving after the text), `$set` updates (one replacing the message list), a
 * `$rewindTo`, an info message; a sub-agent file under chats/<parent session id>/; a legacy
 * pretty-printed `.json` with the `.jsonl` the CLI wrote beside it on resume (same ids, one new turn).
 */

const HOME = path.resolve('test/fixtures/agents/gemini');
const ROOT = path.join(HOME, '.gemini');
const CHATS = 'tmp/a7520d862f6fbe5b1ffe6fdba5cd0f58d31aeb200b89f0a6443fe0f65822fe26/chats';
const MAIN = `${CHATS}/session-2025-10-05T14-30-4f1c2b9e.jsonl`;
const SUB = `${CHATS}/4f1c2b9e-7a3d-4e51-9b0a-2c6d8e1f3a57/7c2e9a41-5b6d-4f80-a1c3-9e8d7f6b5a42.jsonl`;
const LEGACY = `${CHATS}/session-2025-09-20T08-00-9d3b7c15.json`;
const MIGRATED = `${CHATS}/session-2025-09-20T08-00-9d3b7c15.jsonl`;
const OMEGA = 'tmp/omega/chats/session-2025-10-09T07-15-c0ffee00.jsonl';

// The follower lists the roots before it opens files: the format looks for project markers there.
beforeAll(() => {
  geminiFormat.roots({ GEMINI_CLI_HOME: HOME }, '/nowhere');
});

const { lines, read, readAtEveryCut } = fixtureReader(ROOT);

// Hand-counted (input = input - cached + tool, cache read = cached, output = output + thoughts):
// m1 pro 12000/4000 cached, 350+900      -> 8000 / 4000 / 1250
// m2 pro 16000/12000, 120+300 (2 copies) -> 4000 / 12000 / 420
// m3 pro 17500/15000 +60 tool, 220+400   -> 2560 / 15000 / 620 (first copy had no tokens)
// m4 pro 18000/16000, 150 (rewound)      -> 2000 / 16000 / 150
// m5 flash 9000/0, 400+250               -> 9000 / 0 / 650
const MAIN_TOTALS: Record<string, Totals> = {
  'gemini-2.5-pro': { requests: 4, input: 16_560, output: 2_440, cacheRead: 47_000, cacheWrite: 0 },
  'gemini-2.5-flash': { requests: 1, input: 9_000, output: 650, cacheRead: 0, cacheWrite: 0 },
};
// lm1 5000/0, 1200+800 -> 5000/0/2000; lm2 7000/4500, 600 -> 2500/4500/600; lm3 (jsonl only) 9000/6000, 200+100 -> 3000/6000/300
const LEGACY_TOTALS: Record<string, Totals> = {
  'gemini-2.5-pro': { requests: 3, input: 10_500, output: 2_900, cacheRead: 10_500, cacheWrite: 0 },
};

describe('Gemini CLI chat recordings', () => {
  it('finds session files, sub-agent files and legacy .json under tmp/<project>/chats only', () => {
    for (const file of [MAIN, SUB, LEGACY, MIGRATED]) expect(geminiFormat.isLogFile(file)).toBe(true);
    expect(geminiFormat.isLogFile(CHATS.replace('/chats', '/logs.json'))).toBe(false);
    expect(geminiFormat.isLogFile(`${CHATS}/notes.jsonl`)).toBe(false);
    expect(geminiFormat.isLogFile('settings.json')).toBe(false);
  });

  it('honours GEMINI_CLI_HOME (the CLI puts .gemini in it), else ~/.gemini', () => {
    expect(geminiFormat.roots({ GEMINI_CLI_HOME: '/data/g' }, '/home/u')).toEqual([path.join('/data/g', '.gemini'), '/data/g']);
    expect(geminiFormat.roots({}, '/home/u')).toEqual([path.join('/home/u', '.gemini')]);
    geminiFormat.roots({ GEMINI_CLI_HOME: HOME }, '/nowhere');
  });

  it('keeps the last copy per message id, counts rewound turns (they were billed), ignores the $set message list copy', () => {
    const records = read(geminiFormat, MAIN);
    expect(records).toHaveLength(5);
    expect(totals(records)).toEqual(MAIN_TOTALS);
  });

  it('maps input-including-cached, thoughts and tool tokens to the canonical classes', () => {
    const records = read(geminiFormat, MAIN);
    const m3 = records.find((record) => record.requestId.endsWith('d4a3f9b1-0004-4000-8000-000000000004'));
    expect(m3).toMatchObject({
      ts: Date.parse('2025-10-05T14:30:21.700Z'),
      model: 'gemini-2.5-pro',
      inputTokens: 2_560,
      cacheReadTokens: 15_000,
      outputTokens: 620,
      source: 'gemini',
      provider: 'google',
      sessionId: '4f1c2b9e-7a3d-4e51-9b0a-2c6d8e1f3a57',
    });
    for (const record of records) expect(requestRecordSchema.safeParse(record).success).toBe(true);
  });

  it('holds back the latest message until another message follows or the file is flushed', () => {
    const parser = geminiFormat.openFile(MAIN, undefined);
    const all = lines(MAIN);
    const m2first = all.findIndex((line) => line.includes('"status":"executing"'));
    const early = all.slice(0, m2first + 1).flatMap((line) => parser.line(line));
    expect(early).toHaveLength(1); // m1 released by m2; m2 itself may still be re-appended
    expect(parser.flush()).toHaveLength(1);
  });

  it('takes a sub-agent file as its own session, with the project from its directories', () => {
    const records = read(geminiFormat, SUB);
    expect(totals(records)).toEqual({ 'gemini-2.5-flash': { requests: 1, input: 5_000, output: 800, cacheRead: 1_000, cacheWrite: 0 } });
    expect(records[0]).toMatchObject({ project: '/home/dev/projects/gamma', sessionId: '7c2e9a41-5b6d-4f80-a1c3-9e8d7f6b5a42' });
  });

  it('counts a legacy .json and the .jsonl the CLI migrated it into once', () => {
    const legacy = read(geminiFormat, LEGACY);
    expect(legacy).toHaveLength(2);
    const migrated = read(geminiFormat, MIGRATED);
    expect(totals([...legacy, ...migrated])).toEqual(LEGACY_TOTALS);
    expect(totals([...migrated, ...legacy])).toEqual(LEGACY_TOTALS);
  });

  it('reads a legacy .json whose last line has no newline (a line reader never hands over its closing brace)', () => {
    const text = fs.readFileSync(path.join(ROOT, LEGACY), 'utf8');
    expect(text.endsWith('}')).toBe(true);
    const complete = text.split('\n').slice(0, -1);
    const parser = geminiFormat.openFile(LEGACY, undefined);
    for (const line of complete) expect(parser.line(line)).toEqual([]);
    expect(totals(parser.flush())).toEqual({ 'gemini-2.5-pro': { requests: 2, input: 7_500, output: 2_600, cacheRead: 4_500, cacheWrite: 0 } });
    // A document cut short elsewhere is not complete: nothing yet, nothing lost.
    const cut = geminiFormat.openFile(LEGACY, undefined);
    for (const line of complete.slice(0, 10)) cut.line(line);
    expect(cut.flush()).toEqual([]);
    expect(cut.checkpoint()).toMatchObject({ legacyText: complete.slice(0, 10).join('\n') });
  });

  it('names the project from the CLI\'s own markers: tmp/<slug>/.project_root, or projects.json for a sha256(path) folder', () => {
    expect(read(geminiFormat, OMEGA)[0]?.project).toBe('/home/dev/projects/omega');
    for (const file of [MAIN, LEGACY, MIGRATED, SUB]) for (const record of read(geminiFormat, file)) expect(record.project).toBe('/home/dev/projects/gamma');
    try {
      geminiFormat.roots({ GEMINI_CLI_HOME: path.join(HOME, 'elsewhere') }, '/nowhere');
      expect(read(geminiFormat, MAIN)[0]?.project).toBeUndefined(); // no marker found: no guess
      expect(read(geminiFormat, SUB)[0]?.project).toBe('/home/dev/projects/gamma'); // its header's directories
    } finally {
      geminiFormat.roots({ GEMINI_CLI_HOME: HOME }, '/nowhere');
    }
  });

  it('all files together: each call once per model', () => {
    const all = [MAIN, SUB, LEGACY, MIGRATED].flatMap((file) => read(geminiFormat, file));
    expect(totals(all)).toEqual({
      'gemini-2.5-pro': { requests: 7, input: 27_060, output: 5_340, cacheRead: 57_500, cacheWrite: 0 },
      'gemini-2.5-flash': { requests: 2, input: 14_000, output: 1_450, cacheRead: 1_000, cacheWrite: 0 },
    });
  });

  it('resumes from a checkpoint at any line with the same totals as one pass (the legacy document too)', () => {
    for (const file of [MAIN, SUB, LEGACY, MIGRATED]) {
      const { single, resumed } = readAtEveryCut(geminiFormat, file);
      const expected = totals(single);
      for (const records of resumed) expect(totals(records)).toEqual(expected);
    }
  });

  it('skips broken lines without losing the rest', () => {
    const parser = geminiFormat.openFile(MAIN, undefined);
    const records = [parser.line('{"id":'), parser.line('null'), ...lines(MAIN).map((line) => parser.line(line)), parser.flush()].flat();
    expect(totals(records)).toEqual(MAIN_TOTALS);
  });
});
