import { describe, expect, it } from 'vitest';
import type { LedgerEvent, TaskProgress } from '../../../shared/types.js';
import { TASK_PROGRESS_EVERY_MS, taskProgress } from '../../../electron/app/task-progress.js';
import type { Harness } from '../ledger/store/harness.js';
import { useSlicedLedgers } from './sliced-ledgers.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 5, 1);
const NOW = DAY0 + 3 * DAY;
const KEY = 'aaaaaaaaaaaaaaaa';

describe('taskProgress: a long write on the event stream', () => {
  it('sends the first slice, then at most one an interval, and always the last', () => {
    const events: LedgerEvent[] = [];
    let now = 0;
    const report = taskProgress((event) => events.push(event), { task: 'delete-model', model: 'gpt-4o' }, () => now);
    for (let done = 1; done <= 40; done++) {
      now += 25;
      report(done, 40);
    }
    const sent = events.map((event) => (event.type === 'progress' ? event.progress.done : -1));
    // Slices every 25 ms: the first, then every tenth (250 ms), then the last.
    expect(sent).toEqual([1, 11, 21, 31, 40]);
    expect(events.at(-1)).toEqual({ type: 'progress', progress: { task: 'delete-model', model: 'gpt-4o', done: 40, total: 40 } });
    expect(TASK_PROGRESS_EVERY_MS).toBe(250);
  });

  it('sends nothing for a task with nothing to do', () => {
    const events: LedgerEvent[] = [];
    taskProgress((event) => events.push(event), { task: 'reprice', model: 'gpt-4o' })(0, 0);
    expect(events).toEqual([]);
  });
});

const harness = useSlicedLedgers(NOW);

/** Two days of one model on a channel, every 7 minutes, with projects. */
async function filled(h: Harness): Promise<void> {
  await h.service.ingestRequests(
    Array.from({ length: (2 * DAY) / (7 * MINUTE) }, (_, i) => ({ ts: DAY0 + i * 7 * MINUTE, model: 'gpt-4o', apiType: 'openai', channel: KEY, inputTokens: 100 + i, outputTokens: 10, ...(i % 3 ? {} : { project: '/work/a' }) })),
  );
}

/** The progress events the service sends while `work` runs. */
async function progressDuring(h: Harness, work: () => Promise<unknown>): Promise<TaskProgress[]> {
  const seen: TaskProgress[] = [];
  const unsubscribe = h.service.events.subscribe((event) => {
    if (event.type === 'progress') seen.push(event.progress);
  });
  try {
    await work();
  } finally {
    unsubscribe();
  }
  return seen;
}

/** Several events, done growing to total, the last complete. */
function expectGoesToTheEnd(seen: TaskProgress[]): void {
  expect(seen.length).toBeGreaterThan(1);
  const done = seen.map((progress) => progress.done / progress.total);
  expect(done).toEqual([...done].sort((a, b) => a - b));
  expect(seen.at(-1)!.done).toBe(seen.at(-1)!.total);
  expect(seen[0]!.done).toBeLessThan(seen[0]!.total);
}

describe('long writes say how far they have come', () => {
  // One part per transaction (sliceMs 0): many slices, so an event before the end and one at it.
  it('re-pricing a model after a new price, and its preview', async () => {
    const h = harness(0);
    await filled(h);
    const version = { method: 'tokens' as const, currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 2 }] };
    const preview = await progressDuring(h, () => h.service.previewPriceVersion({ model: 'gpt-4o', version }));
    expect(new Set(preview.map((progress) => `${progress.task} ${progress.model}`))).toEqual(new Set(['reprice-preview gpt-4o']));
    expect(preview.at(-1)!.done).toBe(preview.at(-1)!.total);
    const applied = await progressDuring(h, () => h.service.addPriceVersion({ model: 'gpt-4o', version }));
    expect(new Set(applied.map((progress) => `${progress.task} ${progress.model}`))).toEqual(new Set(['reprice gpt-4o']));
    expect(applied.at(-1)!.done).toBe(applied.at(-1)!.total);
  });

  it('deleting a model, and channels', async () => {
    const channels = harness(0);
    await filled(channels);
    const deletingChannels = await progressDuring(channels, () => channels.service.deleteChannels({ metricsKeys: [KEY], apiType: 'openai' }));
    expect(new Set(deletingChannels.map((progress) => progress.task))).toEqual(new Set(['delete-channels']));
    expect(deletingChannels[0]!.metricsKeys).toEqual([KEY]);
    expectGoesToTheEnd(deletingChannels);

    const model = harness(0);
    await filled(model);
    const deletingModel = await progressDuring(model, () => model.service.deleteModel({ model: 'gpt-4o' }));
    expect(new Set(deletingModel.map((progress) => `${progress.task} ${progress.model}`))).toEqual(new Set(['delete-model gpt-4o']));
    expectGoesToTheEnd(deletingModel);
  });

  it('a cleanup, in time from the oldest row to the day picked', async () => {
    const h = harness(0);
    // More rows than one chunk of the cleanup's deletes (20,000), so it reports on the way.
    await h.service.ingestRequests(Array.from({ length: 5_000 }, (_, i) => ({ ts: DAY0 + i * 10_000, model: 'm', inputTokens: 1 })));
    for (let batch = 1; batch < 9; batch++) {
      await h.service.ingestRequests(Array.from({ length: 5_000 }, (_, i) => ({ ts: DAY0 + (batch * 5_000 + i) * 2, model: 'm', inputTokens: 1 })));
    }
    const before = DAY0 + DAY;
    const seen = await progressDuring(h, () => h.service.cleanup({ before }));
    expect(new Set(seen.map((progress) => progress.task))).toEqual(new Set(['cleanup']));
    expect(seen.at(-1)).toEqual({ task: 'cleanup', done: before - DAY0, total: before - DAY0 });
    expect(seen.length).toBeGreaterThan(1);
  });
});
