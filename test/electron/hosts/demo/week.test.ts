import { describe, expect, it } from 'vitest';
import { CLOUD_MODELS, LOCAL_MODELS, UNPRICED_MODEL } from '../../../../electron/hosts/demo/catalog.js';
import { generateWeek, type DemoWeek } from '../../../../electron/hosts/demo/week.js';
import { metricsKey } from '../../../../electron/ledger/channels/metrics-key.js';
import { circuitUpdateSchema } from '../../../../shared/schemas/circuit.js';
import { priceVersionInputSchema } from '../../../../shared/schemas/pricing.js';
import { requestRecordSchema } from '../../../../shared/schemas/request-record.js';

// A Wednesday afternoon: the week holds five working days and a weekend.
const NOW = new Date(2026, 2, 11, 15, 20, 0).getTime();
const HOUR = 3_600_000;

const week = generateWeek({ seed: 42, now: NOW });
const ts = (record: DemoWeek['records'][number]) => record.ts as number;
const localNames = new Set(LOCAL_MODELS.map((profile) => profile.name));

describe('generateWeek', () => {
  it('gives the same week for the same seed and a different one for another seed', () => {
    expect(generateWeek({ seed: 42, now: NOW })).toEqual(week);
    const other = generateWeek({ seed: 43, now: NOW });
    expect(other.records.length).not.toBe(week.records.length);
  });

  it('spans local midnight six days ago up to now, with a realistic volume of valid records', () => {
    expect(week.from).toBe(new Date(2026, 2, 5).getTime());
    expect(week.records.length).toBeGreaterThan(20_000);
    expect(week.records.length).toBeLessThan(50_000);
    expect(week.records.filter((record) => ts(record) < week.from || ts(record) >= NOW)).toEqual([]);
    const ids = new Set(week.records.map((record) => record.requestId));
    expect(ids.size).toBe(week.records.length);
    // Checking every record costs seconds: a sample from across the week is enough to catch a pattern.
    for (let i = 0; i < week.records.length; i += 97) expect(requestRecordSchema.safeParse(week.records[i]).success).toBe(true);
  });

  it('has requests of local models only while one of their runs is up', () => {
    const local = week.records.filter((record) => localNames.has(record.model));
    expect(local.length).toBeGreaterThan(1_000);
    const outside = local.filter((record) => !week.runs.some((run) => run.model === record.model && ts(record) >= run.start && ts(record) < (run.end ?? NOW)));
    expect(outside).toEqual([]);
    expect(week.records.some((record) => record.model === 'gpt-oss-20b')).toBe(true);
    expect(week.records.some((record) => record.model === 'GLM-4.5-Air-Q4_K_M')).toBe(true);
  });

  it('keeps runs of hours in working time, never overlapping for one model, with one still running', () => {
    for (const run of week.runs) {
      if (run.end !== null) {
        expect(run.end - run.start).toBeGreaterThanOrEqual(HOUR);
        expect(run.end - run.start).toBeLessThanOrEqual(4 * HOUR);
      }
      const hour = new Date(run.start).getHours();
      expect(hour).toBeGreaterThanOrEqual(9);
      expect(hour).toBeLessThan(21);
    }
    for (const name of localNames) {
      const runs = week.runs.filter((run) => run.model === name).sort((a, b) => a.start - b.start);
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end!);
    }
    expect(week.runs.filter((run) => run.end === null)).toHaveLength(1);
  });

  it('keeps a running model even when nothing was scheduled at that hour', () => {
    const night = new Date(2026, 2, 11, 4, 30).getTime();
    const nightWeek = generateWeek({ seed: 42, now: night, scale: 0.05 });
    const open = nightWeek.runs.filter((run) => run.end === null);
    expect(open).toHaveLength(1);
    expect(open[0]!.start).toBeLessThan(night);
  });

  it('is busier in working hours than at night', () => {
    let day = 0;
    let night = 0;
    for (const record of week.records) {
      const date = new Date(ts(record));
      if (date.getDay() === 0 || date.getDay() === 6 || localNames.has(record.model)) continue;
      const hour = date.getHours();
      if (hour >= 9 && hour < 17) day++;
      else if (hour < 6) night++;
    }
    expect(day).toBeGreaterThan(night * 10);
  });

  it('reports cache reads, llama.cpp style for local models, and cache writes for Claude', () => {
    const local = week.records.filter((record) => record.model === UNPRICED_MODEL && record.success);
    expect(local.filter((record) => (record.cacheReadTokens ?? 0) > (record.inputTokens ?? 0)).length / local.length).toBeGreaterThan(0.5);
    expect(local.filter((record) => (record.inputTokens ?? 0) + (record.cacheReadTokens ?? 0) > 65_536)).toEqual([]);
    expect(week.records.some((record) => record.model === 'claude-sonnet-4-5' && (record.cacheWriteTokens ?? 0) > 0)).toBe(true);
    // Some prompts cross qwen3-max's 32K tier bound.
    expect(week.records.some((record) => record.model === 'qwen3-max' && (record.inputTokens ?? 0) + (record.cacheReadTokens ?? 0) > 32_000)).toBe(true);
  });

  it('fails 2-5% of requests, with every kind of failure a gateway sees', () => {
    const failed = week.records.filter((record) => record.success === false);
    const share = failed.length / week.records.length;
    expect(share).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.05);
    const classes = new Set(failed.map((record) => record.failureClass));
    for (const kind of ['retryable', 'overloaded', 'quota', 'client_cancel']) expect(classes).toContain(kind);
    expect(week.records.filter((record) => record.success && record.ttftMs! > record.latencyMs!)).toEqual([]);
  });

  it('prices in USD and CNY by tiers, by the hour and as free, and leaves one model unpriced', () => {
    for (const { version } of week.priceVersions) expect(priceVersionInputSchema.safeParse(version).success).toBe(true);
    const currencies = new Set(week.priceVersions.map(({ version }) => version.currency));
    expect(currencies).toEqual(new Set(['USD', 'CNY']));
    const qwen = week.priceVersions.find(({ model }) => model === 'qwen3-max')!.version;
    expect(qwen.currency).toBe('CNY');
    expect(qwen.tiers!.map((tier) => tier.maxPromptTokens)).toEqual([32_000, 128_000, null]);
    expect(qwen.tiers!.every((tier) => tier.cacheRead !== undefined)).toBe(true);
    expect(week.priceVersions.some(({ version }) => version.method === 'hourly' && version.currency === 'CNY')).toBe(true);
    expect(week.priceVersions.some(({ version }) => version.method === 'none')).toBe(true);
    expect(week.priceVersions.some(({ model }) => model === UNPRICED_MODEL)).toBe(false);
    expect(week.records.some((record) => record.model === UNPRICED_MODEL)).toBe(true);
    // A second version of one model, in force from inside the week.
    const gemini = week.priceVersions.filter(({ model }) => model === 'gemini-2.5-flash');
    expect(gemini).toHaveLength(2);
    expect(gemini[1]!.version.effectiveFrom as number).toBeGreaterThan(week.from);
  });

  it('names channels of three api types by the metricsKey of their URL and key', () => {
    expect(new Set(week.channels.map((channel) => channel.apiType))).toEqual(new Set(['openai', 'anthropic', 'gemini']));
    for (const channel of week.channels) expect(channel.metricsKey).toBe(metricsKey(channel.baseUrl, channel.apiKey));
    const keys = new Set(week.channels.map((channel) => channel.metricsKey));
    expect(week.records.filter((record) => !keys.has(record.channel!))).toEqual([]);
    for (const profile of CLOUD_MODELS) expect(week.records.some((record) => record.model === profile.name)).toBe(true);
  });

  it('tells circuit stories: opened and recovered during the week, and one open now with a retry ahead', () => {
    for (const update of week.circuitUpdates) expect(circuitUpdateSchema.safeParse(update).success).toBe(true);
    const times = week.circuitUpdates.map((update) => update.ts as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const states = new Set(week.circuitUpdates.map((update) => update.state));
    expect(states).toEqual(new Set(['open', 'half_open', 'closed']));
    const open = week.channels.find((channel) => channel.id === week.openChannel)!;
    const own = week.circuitUpdates.filter((update) => update.metricsKey === open.metricsKey);
    expect(own.at(-1)!.state).toBe('open');
    expect(own.at(-1)!.nextRetryAt as number).toBeGreaterThan(NOW);
    // Recovered ones: opened, then closed again later in the week.
    const recovered = week.channels.filter((channel) => {
      const updates = week.circuitUpdates.filter((update) => update.metricsKey === channel.metricsKey);
      return updates.some((update) => update.state === 'open') && updates.at(-1)!.state === 'closed';
    });
    expect(recovered.length).toBeGreaterThanOrEqual(1);
    // No ordinary traffic goes to the open channel after it opened.
    const openedAt = own.find((update) => update.state === 'open')!.ts as number;
    const after = week.records.filter((record) => record.channel === open.metricsKey && ts(record) > openedAt);
    expect(after.every((record) => record.success === false)).toBe(true);
  });
});
