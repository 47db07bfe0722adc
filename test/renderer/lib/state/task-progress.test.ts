import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { TaskProgress } from '../../../../shared/types.js';
import { TaskProgressTracker } from '../../../../renderer/src/lib/state/task-progress.svelte.js';
import { makeFakeClient } from '../../support/fake-client.js';
import { deferred } from '../../support/pending.js';

const reprice = (model: string, done: number, total = 10): TaskProgress => ({ task: 'reprice', model, done, total });

/** A tracker of gpt-4.1's re-pricing, as the price editor of gpt-4.1 has. */
function setup() {
  const client = makeFakeClient();
  const tracker = new TaskProgressTracker(client, (progress) => progress.task === 'reprice' && progress.model === 'gpt-4.1');
  return { client, tracker };
}

describe('TaskProgressTracker', () => {
  it('is running from the start, with no progress until the first matching event', async () => {
    const { tracker } = setup();
    const work = deferred<string>();
    const tracked = tracker.track(() => work.promise);
    expect(tracker).toMatchObject({ running: true, progress: null });
    work.resolve('ok');
    await tracked;
  });

  it('keeps the latest matching progress and ignores other tasks, other models and other events', async () => {
    const { client, tracker } = setup();
    const work = deferred<string>();
    const tracked = tracker.track(() => work.promise);

    client.emit({ type: 'progress', progress: reprice('gpt-4.1', 3) });
    expect(tracker.progress).toEqual(reprice('gpt-4.1', 3));
    client.emit({ type: 'progress', progress: reprice('claude-sonnet-4.5', 9) });
    client.emit({ type: 'progress', progress: { task: 'reprice-preview', model: 'gpt-4.1', done: 8, total: 10 } });
    client.emit({ type: 'progress', progress: { task: 'cleanup', done: 1, total: 2 } });
    client.emit({ type: 'pricing', model: 'gpt-4.1' });
    expect(tracker.progress).toEqual(reprice('gpt-4.1', 3));
    client.emit({ type: 'progress', progress: reprice('gpt-4.1', 7) });
    expect(tracker.progress).toEqual(reprice('gpt-4.1', 7));

    work.resolve('ok');
    await tracked;
  });

  it('hears nothing before or after the tracked work', async () => {
    const { client, tracker } = setup();
    client.emit({ type: 'progress', progress: reprice('gpt-4.1', 1) });
    expect(tracker.progress).toBeNull();
    expect(client.subscribers).toBe(0);

    await tracker.track(async () => 'ok');
    client.emit({ type: 'progress', progress: reprice('gpt-4.1', 2) });
    expect(tracker.progress).toBeNull();
  });

  it('answers the work’s result, then clears and unsubscribes', async () => {
    const { client, tracker } = setup();
    const work = deferred<number>();
    const tracked = tracker.track(() => work.promise);
    expect(client.subscribers).toBe(1);
    client.emit({ type: 'progress', progress: reprice('gpt-4.1', 10) });

    work.resolve(42);
    expect(await tracked).toBe(42);
    expect(tracker).toMatchObject({ running: false, progress: null });
    expect(client.subscribers).toBe(0);
  });

  it('rethrows a failure, then clears and unsubscribes all the same', async () => {
    const { client, tracker } = setup();
    const work = deferred<number>();
    const tracked = tracker.track(() => work.promise);
    client.emit({ type: 'progress', progress: reprice('gpt-4.1', 4) });

    work.reject(new ApiError('conflict', 'the model is being re-priced'));
    await expect(tracked).rejects.toMatchObject({ code: 'conflict' });
    expect(tracker).toMatchObject({ running: false, progress: null });
    expect(client.subscribers).toBe(0);
  });

  it('tracks an already started call as well', async () => {
    const { client, tracker } = setup();
    const work = deferred<string>();
    const tracked = tracker.track(work.promise);
    client.emit({ type: 'progress', progress: reprice('gpt-4.1', 5) });
    expect(tracker.progress?.done).toBe(5);
    work.resolve('done');
    expect(await tracked).toBe('done');
    expect(client.subscribers).toBe(0);
  });

  it('leaves the state to a newer tracked call when an older one ends last', async () => {
    const { client, tracker } = setup();
    const older = deferred<string>();
    const newer = deferred<string>();
    const first = tracker.track(() => older.promise);
    const second = tracker.track(() => newer.promise);
    client.emit({ type: 'progress', progress: reprice('gpt-4.1', 6) });

    older.resolve('older');
    await first;
    expect(tracker).toMatchObject({ running: true, progress: reprice('gpt-4.1', 6) });
    newer.resolve('newer');
    await second;
    expect(tracker).toMatchObject({ running: false, progress: null });
    expect(client.subscribers).toBe(0);
  });
});
