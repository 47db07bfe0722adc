import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import { Resource } from '../../../../renderer/src/lib/state/resource.svelte.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

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
