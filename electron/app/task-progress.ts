import { progressThrottle } from '../../shared/progress-throttle.js';
import type { LedgerEvent, TaskProgress } from '../../shared/types.js';

/** How often a long write tells the event stream how far it has come: a bar moves, streams stay quiet. */
export const TASK_PROGRESS_EVERY_MS = 250;

/**
 * A slice callback (inSlices' `progress`) that puts a long write's progress on the event stream: the
 * first slice's, then at most one every `everyMs`, and always the last (done = total), so a view's bar
 * ends full; none for a task with nothing to do. Slices run every ~25 ms; an event for each would be 40 a second to every dashboard.
 */
export function taskProgress(
  emit: (event: LedgerEvent) => void,
  task: Omit<TaskProgress, 'done' | 'total'>,
  clock: () => number = () => performance.now(),
  everyMs = TASK_PROGRESS_EVERY_MS,
): (done: number, total: number) => void {
  const due = progressThrottle(everyMs, clock);
  return (done, total) => {
    // Nothing to do (a model with no requests in the window): nothing to show either.
    if (total === 0) return;
    if (due(done >= total)) emit({ type: 'progress', progress: { ...task, done, total } });
  };
}
