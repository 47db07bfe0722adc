import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKER_NICE, lowerThisThread, WORKER_NICE_ENV, workerNice, type PriorityHost } from '../../../../electron/ledger/threads/background-priority.js';

function host(platform: NodeJS.Platform, fails = false, current = 0): PriorityHost & { calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    platform,
    calls,
    getPriority: () => current,
    setPriority(pid, priority) {
      calls.push([pid, priority]);
      if (fails) throw new Error('EACCES');
    },
  };
}

describe('the nice value of the ledger threads', () => {
  it('is 5 unless MODELMETER_WORKER_NICE says otherwise', () => {
    expect(DEFAULT_WORKER_NICE).toBe(5);
    expect(workerNice({})).toBe(5);
    expect(workerNice({ [WORKER_NICE_ENV]: ' ' })).toBe(5);
    expect(workerNice({ [WORKER_NICE_ENV]: '0' })).toBe(0);
    expect(workerNice({ [WORKER_NICE_ENV]: '19' })).toBe(19);
  });

  it.each(['-1', '20', '2.5', 'low'])('refuses %j, naming the variable', (raw) => {
    expect(() => workerNice({ [WORKER_NICE_ENV]: raw })).toThrow(`MODELMETER_WORKER_NICE must be a whole number from 0 to 19, not "${raw}"`);
  });
});

describe('lowering the calling thread', () => {
  it('sets this thread (pid 0) on Linux, where setpriority applies to the calling thread alone', () => {
    const linux = host('linux');
    expect(lowerThisThread(5, linux)).toBe(true);
    expect(linux.calls).toEqual([[0, 5]]);
  });

  it('goes that many steps below a process started at a lower priority, and no further than 19', () => {
    const at10 = host('linux', false, 10);
    expect(lowerThisThread(5, at10)).toBe(true);
    expect(at10.calls).toEqual([[0, 15]]);
    const at17 = host('linux', false, 17);
    expect(lowerThisThread(5, at17)).toBe(true);
    expect(at17.calls).toEqual([[0, 19]]);
    const at19 = host('linux', false, 19);
    expect(lowerThisThread(5, at19)).toBe(false);
    expect(at19.calls).toEqual([]);
  });

  it.each(['darwin', 'win32'] as const)('does nothing on %s, where it would lower the whole process', (platform) => {
    const other = host(platform);
    expect(lowerThisThread(5, other)).toBe(false);
    expect(other.calls).toEqual([]);
  });

  it('does nothing for 0, and leaves the thread as it was where the system refuses', () => {
    const linux = host('linux');
    expect(lowerThisThread(0, linux)).toBe(false);
    expect(linux.calls).toEqual([]);
    expect(lowerThisThread(5, host('linux', true))).toBe(false);
  });
});
