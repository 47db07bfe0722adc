import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SERVER_V8_FLAGS } from '../../../../electron/hosts/core/v8-flags.js';

/**
 * A child Node that sets the given flags at run time, as applyServerV8Flags does once the process is
 * up, then keeps most objects of one allocation site alive across many scavenges: the pattern that
 * makes V8 tenure a site. Returns V8's count of "tenure" decisions.
 */
function tenureDecisions(flags: readonly string[]): number {
  const script = `
    import v8 from 'node:v8';
    for (const flag of JSON.parse(process.argv[1])) v8.setFlagsFromString(flag);
    const kept = [];
    const make = (i) => ({ i, pair: [i, i + 1], name: 'x' + i });
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 50_000; i++) kept.push(make(i));
      if (kept.length > 400_000) kept.splice(0, 200_000);
    }
  `;
  const out = execFileSync(process.execPath, ['--trace-pretenuring-statistics', '--input-type=module', '-e', script, JSON.stringify(flags)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\n').filter((line) => line.includes('=> tenure')).length;
}

describe('the V8 flags of a serving process', () => {
  it('turn allocation-site pretenuring off when set after start, as startCore sets them', () => {
    // Without the flags the workload is tenured, so the second count can only be 0 through them.
    expect(tenureDecisions([])).toBeGreaterThan(0);
    expect(tenureDecisions(SERVER_V8_FLAGS)).toBe(0);
  }, 30_000);
});
