import type { DemoSink } from '../../../electron/hosts/demo/seed.js';
import { seedWeek } from '../../../electron/hosts/demo/seed.js';
import { generateWeek, type DemoWeek } from '../../../electron/hosts/demo/week.js';
import type { E2eServer } from './server.js';

/** The demo's week, written over the HTTP API of a running server, as a launcher would. */
export async function seedDemoWeek(server: E2eServer, options: { seed?: number; scale?: number; now?: number } = {}): Promise<DemoWeek> {
  const week = generateWeek({ seed: options.seed ?? 7, now: options.now ?? Date.now(), scale: options.scale ?? 1 });
  const sink: DemoSink = {
    ingestRequests: (body) => server.call('ingestRequests', body),
    reportRun: (event) => server.call('reportRun', event),
    addPriceVersion: (input) => server.call('addPriceVersion', input),
    putCircuits: (body) => server.call('putCircuits', body),
  };
  await seedWeek(sink, week);
  return week;
}
