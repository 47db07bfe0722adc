import type { CircuitUpdateInput } from '../../../shared/schemas/circuit.js';
import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';
import { CHANNELS, CLOUD_MODELS, GLM_AIR, GPT_OSS, LOCAL_MODELS, QWEN_CODER, priceVersions, type ChannelId, type DemoChannel, type DemoPriceVersion, type ModelProfile } from './catalog.js';
import { Random } from './random.js';
import { backoffMs, circuitUpdate, rhythm, sampleRequest } from './traffic.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export const RUN_SOURCE = 'llama-swap';

export interface DemoRun {
  model: string;
  source: string;
  start: number;
  /** Null: still running at `now`. */
  end: number | null;
}

export interface DemoWeek {
  seed: number;
  now: number;
  /** Local midnight six days before `now`: the week is that day up to `now`. */
  from: number;
  channels: DemoChannel[];
  /** In the order they must be added (a later version of a model after its first). */
  priceVersions: DemoPriceVersion[];
  /** Ordered by start; a model's runs never overlap one another. */
  runs: DemoRun[];
  /** Ordered by time, each with a requestId so seeding twice stores nothing twice. */
  records: RequestRecordInput[];
  /** Ordered by time: the first ones introduce every channel, later ones tell its circuit's story. */
  circuitUpdates: CircuitUpdateInput[];
  /** The channel whose circuit is open at `now`, with its next retry still ahead. */
  openChannel: ChannelId;
}

export interface WeekOptions {
  seed: number;
  now: number;
  /** Multiplies every request rate: 1 gives some 30K requests, tests use less. */
  scale?: number;
}

function localDay(ts: number, offsetDays: number): Date {
  const date = new Date(ts);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + offsetDays);
}

function at(day: Date, hours: number, minutes = 0): number {
  return new Date(day.getFullYear(), day.getMonth(), day.getDate(), hours, minutes).getTime();
}

/**
 * A realistic week of use ending at `now`, as plain inputs of the ledger API: nothing here touches a
 * database, so it can be checked on its own and written through the validating service or over HTTP.
 * The same seed and `now` (in the same time zone) give the same week.
 */
export function generateWeek(options: WeekOptions): DemoWeek {
  const { seed, now } = options;
  const scale = options.scale ?? 1;
  const random = new Random(seed);
  const from = localDay(now, -6).getTime();
  const records: RequestRecordInput[] = [];
  const updates: CircuitUpdateInput[] = [];
  const add = (record: RequestRecordInput) => {
    if ((record.ts as number) >= from && (record.ts as number) < now) records.push(record);
  };

  // Every channel is seen once at the start of the week, with its endpoint, key mask and label.
  for (const channel of Object.values(CHANNELS)) {
    updates.push({ channel: { baseUrl: channel.baseUrl, apiKey: channel.apiKey }, apiType: channel.apiType, state: 'closed', label: channel.label, ts: from, reason: 'first seen' });
  }

  // Windows in which a channel takes no ordinary traffic because its circuit is open.
  const outages: { channel: ChannelId; from: number; to: number }[] = [];
  const byName = (name: string) => [...CLOUD_MODELS, ...LOCAL_MODELS].find((profile) => profile.name === name)!;
  const inWeek = (start: number, end: number) => start - 2 * MINUTE >= from && end + 2 * MINUTE < now;

  // A relay overloaded for two minutes on the third day: open, a failed probe, a good probe, closed.
  {
    const t0 = at(localDay(from, 2), 14, 5);
    if (inWeek(t0, t0 + 92_000)) {
      const gpt = byName('gpt-5-mini');
      for (let i = 5; i >= 1; i--) add({ ...sampleRequest(gpt, t0 - i * 10_000, random, { channel: 'openaiRelay', failure: 'overloaded' }), requestId: `demo-${seed}-relay-${i}` });
      updates.push(circuitUpdate('openaiRelay', { state: 'open', consecutiveFailures: 5, openedAt: t0, nextRetryAt: t0 + backoffMs(0), backoffLevel: 0, lastFailureAt: t0 - 10_000, ts: t0, reason: '5 consecutive failures (503 overloaded)' }));
      updates.push(circuitUpdate('openaiRelay', { state: 'half_open', ts: t0 + 30_000, reason: 'retry time reached' }));
      add({ ...sampleRequest(gpt, t0 + 31_000, random, { channel: 'openaiRelay', failure: 'overloaded' }), requestId: `demo-${seed}-relay-probe-1` });
      updates.push(circuitUpdate('openaiRelay', { state: 'open', consecutiveFailures: 6, openedAt: t0 + 31_000, nextRetryAt: t0 + 31_000 + backoffMs(1), backoffLevel: 1, lastFailureAt: t0 + 31_000, ts: t0 + 31_000, reason: 'probe failed' }));
      updates.push(circuitUpdate('openaiRelay', { state: 'half_open', ts: t0 + 91_000, reason: 'retry time reached' }));
      add({ ...sampleRequest(gpt, t0 + 92_000, random, { channel: 'openaiRelay', succeed: true }), requestId: `demo-${seed}-relay-probe-2` });
      updates.push(circuitUpdate('openaiRelay', { state: 'closed', consecutiveFailures: 0, backoffLevel: 0, lastSuccessAt: t0 + 92_000, ts: t0 + 92_000, reason: 'probe succeeded' }));
      outages.push({ channel: 'openaiRelay', from: t0 - 60_000, to: t0 + 93_000 });
    }
  }

  // Rate limited by Google on the fifth morning: six 429s open it, one good probe closes it.
  {
    const t0 = at(localDay(from, 4), 10, 40);
    if (inWeek(t0, t0 + 31_000)) {
      const gemini = byName('gemini-2.5-flash');
      for (let i = 6; i >= 1; i--) add({ ...sampleRequest(gemini, t0 - i * 8_000, random, { channel: 'gemini', failure: 'retryable' }), requestId: `demo-${seed}-gemini-${i}` });
      updates.push(circuitUpdate('gemini', { state: 'open', consecutiveFailures: 6, openedAt: t0, nextRetryAt: t0 + backoffMs(0), backoffLevel: 0, lastFailureAt: t0 - 8_000, ts: t0, reason: '6 consecutive failures (429 rate limited)' }));
      updates.push(circuitUpdate('gemini', { state: 'half_open', ts: t0 + 30_000, reason: 'retry time reached' }));
      add({ ...sampleRequest(gemini, t0 + 31_000, random, { channel: 'gemini', succeed: true }), requestId: `demo-${seed}-gemini-probe` });
      updates.push(circuitUpdate('gemini', { state: 'closed', consecutiveFailures: 0, backoffLevel: 0, lastSuccessAt: t0 + 31_000, ts: t0 + 31_000, reason: 'probe succeeded' }));
      outages.push({ channel: 'gemini', from: t0 - 60_000, to: t0 + 32_000 });
    }
  }

  // The Claude relay went down twenty minutes ago and every probe since has failed: open right now,
  // its backoff doubled up to the next retry, which is still ahead.
  const openChannel: ChannelId = 'anthropicRelay';
  {
    const claude = byName('claude-sonnet-4-5');
    let t = now - 20 * MINUTE;
    for (let i = 5; i >= 1; i--) add({ ...sampleRequest(claude, t - i * 10_000, random, { channel: openChannel, failure: 'overloaded' }), requestId: `demo-${seed}-claude-relay-${i}` });
    let level = 0;
    let failures = 5;
    for (;;) {
      const retryAt = t + backoffMs(level);
      updates.push(circuitUpdate(openChannel, { state: 'open', consecutiveFailures: failures, openedAt: t, nextRetryAt: retryAt, backoffLevel: level, lastFailureAt: t - 10_000, ts: t, reason: level === 0 ? '5 consecutive failures (529 overloaded)' : 'probe failed' }));
      if (retryAt > now - 2_000) break;
      updates.push(circuitUpdate(openChannel, { state: 'half_open', ts: retryAt, reason: 'retry time reached' }));
      t = retryAt + 1_000;
      failures += 1;
      level += 1;
      add({ ...sampleRequest(claude, t, random, { channel: openChannel, failure: 'overloaded' }), requestId: `demo-${seed}-claude-relay-probe-${level}` });
    }
    outages.push({ channel: openChannel, from: now - 20 * MINUTE - 60_000, to: Number.POSITIVE_INFINITY });
  }
  const closedAt = (ts: number) => outages.filter((outage) => ts >= outage.from && ts < outage.to).map((outage) => outage.channel);

  // Cloud traffic follows the day: busy working hours, quiet nights, a light weekend.
  let serial = 0;
  for (let hour = from; hour < now; hour += HOUR) {
    const busy = rhythm(hour);
    for (const profile of CLOUD_MODELS) {
      const count = random.poisson(profile.perHour * scale * busy);
      for (let i = 0; i < count; i++) {
        const ts = Math.floor(hour + random.next() * HOUR);
        const avoid = closedAt(ts);
        // A model whose only channel is open has nowhere to go.
        if (profile.channels.every(([id]) => avoid.includes(id))) continue;
        add({ ...sampleRequest(profile, ts, random, { avoid }), requestId: `demo-${seed}-${serial++}` });
      }
    }
  }

  // Local models run in sessions of hours on working days; requests only while one is loaded.
  const runs = localRuns(random, from, now);
  for (const run of runs) {
    const profile = byName(run.model);
    const end = run.end ?? now;
    const count = random.poisson(((profile.perHour * scale * (end - run.start)) / HOUR) * random.between(0.6, 1.3));
    for (let i = 0; i < count; i++) {
      const ts = Math.floor(run.start + random.next() * (end - run.start));
      add({ ...sampleRequest(profile, ts, random), requestId: `demo-${seed}-${serial++}` });
    }
  }

  records.sort((a, b) => (a.ts as number) - (b.ts as number));
  updates.sort((a, b) => (a.ts as number) - (b.ts as number));
  const geminiChange = at(localDay(from, 3), 0);
  return {
    seed,
    now,
    from,
    channels: Object.values(CHANNELS),
    priceVersions: priceVersions(geminiChange),
    runs,
    records,
    circuitUpdates: updates,
    openChannel,
  };
}

/**
 * The sessions of the local models: the coder in the morning, GLM after lunch, gpt-oss late in the
 * afternoon, now and then an evening or weekend session. Whatever is running at `now` stays open;
 * when nothing is, the coder was started a while ago, so the demo always has a live model.
 */
function localRuns(random: Random, from: number, now: number): DemoRun[] {
  const runs: DemoRun[] = [];
  const push = (model: string, start: number, hours: number) => runs.push({ model, source: RUN_SOURCE, start, end: start + Math.round(hours * HOUR) });
  for (let offset = 0; offset < 7; offset++) {
    const day = localDay(from, offset);
    const weekend = day.getDay() === 0 || day.getDay() === 6;
    if (weekend) {
      if (random.chance(0.5)) push(QWEN_CODER, at(day, 14, random.int(0, 50)), random.between(1, 2.5));
      continue;
    }
    push(QWEN_CODER, at(day, 9, random.int(0, 40)), random.between(2.5, 3.4));
    let afternoon = at(day, 13, random.int(20, 50));
    if (random.chance(0.8)) {
      const hours = random.between(1.5, 2.5);
      push(GLM_AIR, afternoon, hours);
      afternoon += Math.round(hours * HOUR) + random.int(5, 20) * MINUTE;
    }
    if (random.chance(0.7)) push(GPT_OSS, Math.max(afternoon, at(day, 15, 0)), random.between(1.5, 2.5));
    if (random.chance(0.3)) push(QWEN_CODER, at(day, 20, random.int(0, 30)), random.between(1, 2));
  }
  const past = runs
    .filter((run) => run.start < now - 5 * MINUTE)
    .map((run) => (run.end !== null && run.end > now ? { ...run, end: null } : run))
    .sort((a, b) => a.start - b.start);
  if (!past.some((run) => run.end === null)) {
    const previous = past.filter((run) => run.model === QWEN_CODER).at(-1);
    if (previous && previous.end! > now - 20 * MINUTE) {
      // A session ended minutes ago: let it run on rather than start another right after it.
      past[past.indexOf(previous)] = { ...previous, end: null };
    } else {
      past.push({ model: QWEN_CODER, source: RUN_SOURCE, start: Math.max(now - 90 * MINUTE, (previous?.end ?? 0) + 10 * MINUTE), end: null });
    }
  }
  return past;
}

/** The local models running at the end of the week: the live traffic keeps them busy. */
export function runningModels(week: DemoWeek): ModelProfile[] {
  const names = new Set(week.runs.filter((run) => run.end === null).map((run) => run.model));
  return LOCAL_MODELS.filter((profile) => names.has(profile.name));
}
