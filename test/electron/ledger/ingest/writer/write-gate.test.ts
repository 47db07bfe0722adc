import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SharedWriteGate } from '../../../../../electron/ledger/ingest/writer/write-gate.js';
import { runEventSchema } from '../../../../../shared/schemas/run-event.js';
import { Harness } from '../../store/harness.js';

const NOW = Date.UTC(2024, 5, 3, 12);
const start = (model: string) => runEventSchema.parse({ model, source: 'src', event: 'start', ts: NOW });
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let h: Harness;
beforeEach(() => (h = new Harness(NOW)));
afterEach(() => {
  h.ledger.ctx.gate = null;
  h.close();
});

describe('the turn between the main connection and the writer thread', () => {
  it('writeWhenFree waits for the thread to leave without holding the event loop, then writes at once', async () => {
    const buffer = SharedWriteGate.buffer();
    const main = new SharedWriteGate(buffer, 'main');
    // The thread's side, held here by hand: the turn is taken as during its transaction.
    const thread = new SharedWriteGate(buffer, 'thread');
    h.ledger.ctx.gate = main;
    thread.enter();
    let wrote = false;
    const writing = h.ledger.ctx.writeWhenFree(() => {
      wrote = true;
      return h.ledger.runs.report(start('m'));
    });
    let timerRan = false;
    setTimeout(() => (timerRan = true), 5);
    await tick(30);
    expect(timerRan).toBe(true);
    expect(wrote).toBe(false);
    thread.leave();
    const run = await writing;
    expect(wrote).toBe(true);
    expect(run.model).toBe('m');
    // The turn was given back: the thread's side takes it again at once.
    const started = Date.now();
    thread.enter();
    thread.leave();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a wait that gives up (a side that died holding the turn) lets the write go ahead', async () => {
    const buffer = SharedWriteGate.buffer();
    h.ledger.ctx.gate = new SharedWriteGate(buffer, 'main', 50);
    new SharedWriteGate(buffer, 'thread').enter();
    const started = Date.now();
    await h.ledger.ctx.writeWhenFree(() => h.ledger.runs.report(start('m')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    // A synchronous write gives up the same way.
    h.ledger.write(() => h.ledger.runs.report(start('m2')));
    expect(h.ledger.db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 2 });
  });
});
