import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import { Action, Resource } from '../../../../renderer/src/lib/state/resource.svelte.js';
import { deferred } from '../../support/pending.js';

describe('Resource', () => {
  it('shows the answer of the newest load even when an older one finishes last', async () => {
    const answers = [deferred<string>(), deferred<string>()];
    let index = 0;
    const resource = new Resource(() => answers[index++]!.promise);
    const first = resource.reload();
    const second = resource.reload();
    answers[1]!.resolve('today');
    await second;
    answers[0]!.resolve('yesterday');
    await first;
    expect(resource.data).toBe('today');
    expect(resource.loading).toBe(false);
  });

  it('keeps the last data and reports the error of a failed reload as an ApiError', async () => {
    let fail = false;
    const resource = new Resource(async () => {
      if (fail) throw new Error('socket closed');
      return 42;
    });
    await resource.reload();
    fail = true;
    await resource.reload();
    expect(resource.data).toBe(42);
    expect(resource.error).toBeInstanceOf(ApiError);
    expect(resource.error?.message).toBe('socket closed');
    fail = false;
    await resource.reload();
    expect(resource.error).toBeNull();
  });
});

describe('Action', () => {
  it('runs once at a time, so a double click never deletes twice', async () => {
    const gate = deferred<number>();
    let calls = 0;
    const action = new Action(() => {
      calls += 1;
      return gate.promise;
    });
    const first = action.run();
    expect(action.busy).toBe(true);
    expect(await action.run()).toBeUndefined();
    gate.resolve(7);
    expect(await first).toBe(7);
    expect(calls).toBe(1);
    expect(action).toMatchObject({ busy: false, result: 7, error: null });
  });

  it('keeps the error of a failed run as an ApiError and clears it on the next', async () => {
    let fail = true;
    const action = new Action(async (value: string) => {
      if (fail) throw new ApiError('not_found', `no model ${value}`);
      return value;
    });
    expect(await action.run('m')).toBeUndefined();
    expect(action.error).toMatchObject({ code: 'not_found', message: 'no model m' });
    fail = false;
    expect(await action.run('m')).toBe('m');
    expect(action.error).toBeNull();
  });
});
