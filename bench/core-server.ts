import { startCore } from '../electron/core/start-core.js';

/**
 * A core in its own process for the HTTP benchmark, so that the load generator does not share its
 * event loop. Started with fork(): argv = data folder and token; sends { port } once listening and
 * closes (flush + checkpoint) on 'close' or when the parent goes away.
 */
async function main(): Promise<void> {
  const [dataDir, token] = process.argv.slice(2);
  if (!dataDir || !token) throw new Error('usage: core-server <dataDir> <token>');
  const core = await startCore({ dataDir, port: 0, token });
  const stop = () => {
    core.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (message) => {
    if (message === 'close') stop();
  });
  process.on('disconnect', stop);
  process.send?.({ port: core.port });
}

main().catch((error: unknown) => {
  process.stderr.write(`core-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
