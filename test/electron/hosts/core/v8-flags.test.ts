import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SERVER_V8_FLAGS } from '../../../../electron/hosts/core/v8-flags.js';

/**
 * A child Node that sets the given flags at run time, as applyServerV8Flags does once the process is
 * up, then allocates a million objects from one site and keeps them all: the pattern that makes V8
 * tenure a site. Returns V8's count of "tenure" decisions.
 */
function tenureDecisions(flags: readonly string[]): number {
  const script = `
    import v8 from 'node:v8';
    for (const flag of JSON.parse(process.argv[1])) v8.setFlagsFromString(flag);
    const kept = [];
    const make = (i) => ({ i, name: 'x' + i });
    for (let i = 0; i < 1_000_000; i++) kept.push(make(i));
  `;
  const out = execFileSync(process.execPath, ['--trace-pretenuring-statistics', '--input-type=module', '-e', script, JSON.stringify(flags)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\n').filter((line) => line.includes('=> tenure')).length;
}

describe('the V8 flags of a serving process', () => {
  it('turn allocation-site pretenuring off when set after start, as startCore sets them', () => {
    // Without the flags the workload gets tenured, so the count with them can only be 0 through them.
    // V8 decides from the timing of its collections: on a busy machine a run may end undecided, so the
    // control gets a few tries.
    let control = 0;
    for (let attempt = 0; attempt < 5 && control === 0; attempt++) control = tenureDecisions([]);
    expect(control).toBeGreaterThan(0);
    expect(tenureDecisions(SERVER_V8_FLAGS)).toBe(0);
  }, 60_000);
});
