import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentRecord } from '../../../../../electron/sources/agents/format.js';
import { codexFormat } from '../../../../../electron/sources/agents/formats/codex.js';
import { requestRecordSchema } from '../../../../../shared/schemas/request-record.js';
import { fixtureReader, totals, type Totals } from './support.js';

/**
 * Codex CLI rollouts (test/fixtures/agents/codex, built line for line in Codex's rollout format):
 * P = a session over four turns (two models, a re-emitted token_count, a row with totals only),
 * its byte-identical copy in archived_sessions/, F = a fork of P after turn 2 (replays P's meta and
 * rows stamped with the fork's time, then a turn of its own), S = a sub-agent spawned by P (replays
 * P's token rows, then counters restarting from zero), Q = an unrelated session whose first row has
 * exactly P's first totals.
 */

const ROOT = path.resolve('test/fixtures/agents/codex');
const P = 'sessions/2025/10/01/rollout-2025-10-01T09-00-00-0199a000-1111-7000-8000-000000000001.jsonl';
const P_ARCHIVED = 'archived_sessions/rollout-2025-10-01T09-00-00-0199a000-1111-7000-8000-000000000001.jsonl';
const F = 'sessions/2025/10/02/rollout-2025-10-02T10-00-00-0199a1b2-2222-7000-8000-000000000002.jsonl';
const S = 'sessions/2025/10/01/rollout-2025-10-01T09-30-00-0199a000-3333-7000-8000-000000000003.jsonl';
const Q = 'sessions/2025/10/03/rollout-2025-10-03T08-00-00-0199a000-4444-7000-8000-000000000004.jsonl';

const { lines, read, readAtEveryCut } = fixtureReader(ROOT);

// Hand-counted from the fixture lines (input without cached, cached as cache read, output incl. reasoning):
// P turn 1 (gpt-5-codex): last {12000, cached 2000, out 800}     -> 10000 / 2000 / 800
// P turn 2 (gpt-5-codex): last {18000, cached 12000, out 700}    ->  6000 / 12000 / 700
// P turn 3 (gpt-5):       last {20000, cached 16000, out 600}    ->  4000 / 16000 / 600
// P turn 4 (gpt-5):       totals only, 61000/38000/2500 minus 50000/30000/2100 -> 3000 / 8000 / 400
const P_ONLY: Record<string, Totals> = {
  'gpt-5-codex': { requests: 2, input: 16_000, output: 1_500, cacheRead: 14_000, cacheWrite: 0 },
  'gpt-5': { requests: 2, input: 7_000, output: 1_000, cacheRead: 24_000, cacheWrite: 0 },
};

describe('Codex CLI rollouts', () => {
  it('finds rollouts under sessions/ and archived_sessions/ and nothing else', () => {
    expect(codexFormat.isLogFile(P)).toBe(true);
    expect(codexFormat.isLogFile(P_ARCHIVED)).toBe(true);
    expect(codexFormat.isLogFile('sessions/rollout-2025-05-01T10-00-00-abc.jsonl')).toBe(true);
    expect(codexFormat.isLogFile('history.jsonl')).toBe(false);
    expect(codexFormat.isLogFile('sessions/2025/10/01/notes.jsonl')).toBe(false);
    expect(codexFormat.isLogFile('log/codex-tui.log')).toBe(false);
  });

  it('honours CODEX_HOME, else ~/.codex', () => {
    expect(codexFormat.roots({ CODEX_HOME: '/data/codex' }, '/home/u')).toEqual(['/data/codex']);
    expect(codexFormat.roots({}, '/home/u')).toEqual([path.join('/home/u', '.codex')]);
    expect(codexFormat.roots({ CODEX_HOME: '  ' }, '/home/u')).toEqual([path.join('/home/u', '.codex')]);
  });

  it('counts each turn once: last_token_usage first, else the difference of totals; a re-emitted row and info:null add nothing', () => {
    const records = read(codexFormat, P);
    expect(records).toHaveLength(4);
    expect(totals(records)).toEqual(P_ONLY);
  });

  it('maps input-including-cached and output-including-reasoning to the canonical classes, with project, branch, session and provider', () => {
    const [first] = read(codexFormat, P);
    expect(first).toMatchObject({
      ts: Date.parse('2025-10-01T09:00:22.010Z'),
      model: 'gpt-5-codex',
      inputTokens: 10_000,
      cacheReadTokens: 2_000,
      outputTokens: 800,
      source: 'codex',
      provider: 'openai',
      project: '/home/dev/projects/alpha',
      branch: 'main',
      sessionId: '0199a000-1111-7000-8000-000000000001',
    });
    for (const record of read(codexFormat, P)) expect(requestRecordSchema.safeParse(record).success).toBe(true);
  });

  it('counts the archived copy of a session once: ids do not depend on the path', () => {
    const live = read(codexFormat, P);
    const archived = read(codexFormat, P_ARCHIVED);
    expect(archived.map((record) => record.requestId)).toEqual(live.map((record) => record.requestId));
    expect(totals([...live, ...archived])).toEqual(P_ONLY);
  });

  it('counts a fork once: the replayed parent rows carry the parent ids, the fork adds only its own turn', () => {
    const fork = read(codexFormat, F);
    // Replayed: P turns 1-2 (2 distinct rows); own: one turn of 25000 (20000 cached) in, 900 out.
    expect(totals(fork)).toEqual({ 'gpt-5-codex': { requests: 3, input: 21_000, output: 2_400, cacheRead: 34_000, cacheWrite: 0 } });
    const together = totals([...read(codexFormat, P), ...fork]);
    expect(together['gpt-5-codex']).toEqual({ requests: 3, input: 21_000, output: 2_400, cacheRead: 34_000, cacheWrite: 0 });
    expect(together['gpt-5']).toEqual(P_ONLY['gpt-5']);
    // Whichever file is read first, the same set of calls.
    expect(totals([...fork, ...read(codexFormat, P)])).toEqual(together);
    expect(fork.at(-1)).toMatchObject({ branch: 'feature-x', sessionId: '0199a1b2-2222-7000-8000-000000000002' });
  });

  it('counts a fork once even when the replay carries no parent session_meta (its own meta names the parent)', () => {
    const all = lines(F);
    const withoutParentMeta = all.filter((line, index) => index === 0 || !line.includes('"type":"session_meta"'));
    expect(withoutParentMeta.length).toBe(all.length - 1);
    const parser = codexFormat.openFile(F, undefined);
    const fork = [...withoutParentMeta.flatMap((line) => parser.line(line)), ...parser.flush()];
    expect(totals([...read(codexFormat, P), ...fork])['gpt-5-codex']).toEqual({ requests: 3, input: 21_000, output: 2_400, cacheRead: 34_000, cacheWrite: 0 });
  });

  it('counts a sub-agent once: replayed parent rows match, its restarted counters count from their own last usage', () => {
    const sub = read(codexFormat, S);
    const together = totals([...read(codexFormat, P), ...sub]);
    expect(together['gpt-5-codex']).toEqual(P_ONLY['gpt-5-codex']);
    // S1 {8000, cached 1000, out 400} + S2 last {12000, cached 8000, out 600}
    expect(together['gpt-5-codex-mini']).toEqual({ requests: 2, input: 11_000, output: 1_000, cacheRead: 9_000, cacheWrite: 0 });
  });

  it('does not merge an unrelated session whose totals happen to equal another session\'s', () => {
    const together = totals([...read(codexFormat, P), ...read(codexFormat, Q)], (record) => `${record.model}@${record.project ?? ''}`);
    expect(together['gpt-5-codex@/home/dev/projects/beta']).toEqual({ requests: 1, input: 10_000, output: 800, cacheRead: 2_000, cacheWrite: 0 });
    expect(together['gpt-5-codex@/home/dev/projects/alpha']).toEqual(P_ONLY['gpt-5-codex']);
  });

  it('all five files together: each call once, per model and per project', () => {
    const all = [P, P_ARCHIVED, F, S, Q].flatMap((file) => read(codexFormat, file));
    expect(totals(all)).toEqual({
      'gpt-5-codex': { requests: 4, input: 31_000, output: 3_200, cacheRead: 36_000, cacheWrite: 0 },
      'gpt-5': { requests: 2, input: 7_000, output: 1_000, cacheRead: 24_000, cacheWrite: 0 },
      'gpt-5-codex-mini': { requests: 2, input: 11_000, output: 1_000, cacheRead: 9_000, cacheWrite: 0 },
    });
    const byProject = totals(all, (record) => record.project ?? '');
    expect(byProject['/home/dev/projects/beta']?.requests).toBe(1);
    expect(byProject['/home/dev/projects/alpha']?.requests).toBe(7);
  });

  it('resumes from a checkpoint at any line with the same result as one pass (totals, model, meta)', () => {
    for (const file of [P, F, S]) {
      const { single, resumed } = readAtEveryCut(codexFormat, file);
      for (const records of resumed) expect(records).toEqual(single);
    }
  });

  it('takes the session id from the file name when a rollout has no session_meta line', () => {
    const headless = lines(P).filter((line) => !line.includes('"type":"session_meta"'));
    const readHeadless = (file: string): AgentRecord[] => {
      const parser = codexFormat.openFile(file, undefined);
      return headless.flatMap((line) => parser.line(line));
    };
    const live = readHeadless(P);
    expect(live[0]?.sessionId).toBe('0199a000-1111-7000-8000-000000000001');
    expect(readHeadless(P_ARCHIVED).map((record) => record.requestId)).toEqual(live.map((record) => record.requestId));
    const other = readHeadless('sessions/2025/10/09/rollout-2025-10-09T10-00-00-0199a000-9999-7000-8000-000000000009.jsonl');
    expect(other.map((record) => record.requestId)).not.toEqual(live.map((record) => record.requestId));
  });

  it('skips broken lines and lines of other types without losing the rest', () => {
    const parser = codexFormat.openFile(P, undefined);
    expect(parser.line('{"timestamp":')).toEqual([]);
    expect(parser.line('[]')).toEqual([]);
    expect(parser.line('')).toEqual([]);
    const records = lines(P).flatMap((line) => parser.line(line));
    expect(totals(records)).toEqual(P_ONLY);
  });
});
