import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Housekeeping } from '../../../electron/app/housekeeping.js';
import type { WriteGate } from '../../../electron/ledger/store/context.js';
import type { LedgerEvent } from '../../../shared/types.js';
import { Harness } from '../ledger/store/harness.js';

const T0 = Date.UTC(2024, 6, 1, 8, 0, 0);

/** A writer thread's gate whose transaction in progress commits when the test says so. */
class HeldGate implements WriteGate {
  entered = 0;
  waits = 0;
  private release: (() => void) | null = null;
  private readonly free = new Promise<void>((resolve) => (this.release = resolve));
  enter(): void {
    this.entered++;
  }
  async enterAsync(): Promise<void> {
    this.waits++;
    await this.free;
  }
  leave(): void {}
  commit(): void {
    this.release?.();
  }
}

let h: Harness;
beforeEach(() => {
  h = new Harness(T0);
});
afterEach(() => {
  h.service.ledger.ctx.gate = null;
  h.close();
});

describe('housekeeping while a writer thread holds the write lock', () => {
  it('the stale-run sweep waits for its turn without holding the event loop, then closes the run and says so', async () => {
    const events: LedgerEvent[] = [];
    h.service.events.subscribe((event) => events.push(event));
    const run = await h.service.reportRun({ model: 'qwen', event: 'start', source: 'ollama' });
    events.length = 0;
    const gate = new HeldGate();
    h.service.ledger.ctx.gate = gate;
    h.now = T0 + 200_000;
    const housekeeping = new Housekeeping(h.service);

    housekeeping.sweepStale();
    // Returned at once: nothing written yet, and a second tick does not queue a second sweep.
    housekeeping.sweepStale();
    expect(gate.waits).toBe(1);
    expect(events).toEqual([]);
    h.service.ledger.ctx.gate = null;
    expect((await h.service.listRuns({}))[0]!.running).toBe(true);
    h.service.ledger.ctx.gate = gate;

    gate.commit();
    await housekeeping.stop();
    h.service.ledger.ctx.gate = null;
    const [closed] = await h.service.listRuns({});
    expect(closed).toMatchObject({ id: run.id, running: false, end: T0 });
    expect(events).toEqual([{ type: 'runs', model: 'qwen', run: closed }]);
  });

  it('stop() lets a program heartbeat still waiting for its turn land before the program run is closed', async () => {
    const housekeeping = new Housekeeping(h.service, { sweepMs: 3_600_000, heartbeatMs: 3_600_000, retentionMs: 3_600_000 });
    housekeeping.start();
    const gate = new HeldGate();
    h.service.ledger.ctx.gate = gate;
    h.now = T0 + 60_000;
    housekeeping.heartbeat();
    expect(gate.waits).toBe(1);
    const stopping = housekeeping.stop();
    gate.commit();
    await stopping;
    h.service.ledger.ctx.gate = null;
    const [program] = await h.service.listProgramRuns({});
    expect(program).toMatchObject({ running: false, end: T0 + 60_000 });
  });
});
