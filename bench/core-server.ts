import { startCore } from '../electron/hosts/core/start-core.js';
import { isProbeRequest, ServerProbe } from './load/server-probe.js';

/**
 * A core in its own process for the HTTP benchmark, so that the load generator does not share its
 * event loop. Started with fork(): argv = data folder and token; sends { port } once listening and
 * closes (flush + checkpoint) on 'close' or when the parent goes away. The load benchmark also asks
 * it for in-process measurements (`probe-*` messages, see load/server-probe.ts); until it does, none
 * are taken.
 */
async function main(): Promise<void> {
  const [dataDir, token] = process.argv.slice(2);
  if (!dataDir || !token) throw new Error('usage: core-server <dataDir> <token>');
  // The product's default (the read worker, in built code) unless MODELMETER_BENCH_READS=inline asks
  // for reads on the main thread, to measure what the worker saves.
  const reads = process.env['MODELMETER_BENCH_READS'];
  if (reads !== undefined && reads !== 'inline' && reads !== 'worker') throw new Error('MODELMETER_BENCH_READS is inline or worker');
  // Likewise MODELMETER_BENCH_WRITES=inline commits ingest on the main thread instead of the writer thread.
  const writes = process.env['MODELMETER_BENCH_WRITES'];
  if (writes !== undefined && writes !== 'inline' && writes !== 'worker') throw new Error('MODELMETER_BENCH_WRITES is inline or worker');
  const core = await startCore({ dataDir, port: 0, token, ...(reads ? { reads } : {}), ...(writes ? { writes } : {}) });
  const stop = () => {
    core.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const probe = new ServerProbe(core);
  process.on('message', (message) => {
    if (message === 'close') stop();
    else if (isProbeRequest(message)) {
      const report = probe.handle(message);
      if (report) process.send?.(report);
    }
  });
  process.on('disconnect', stop);
  process.send?.({ port: core.port });
}

main().catch((error: unknown) => {
  process.stderr.write(`core-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
