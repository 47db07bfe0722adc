/**
 * Ctrl-C and SIGTERM for the command-line entries (serve, demo): say what is happening, close (which
 * flushes the ledger), and exit 0, or 1 when closing failed. A second signal while closing is ignored.
 */
export function closeOnSignals(what: string, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`\n${signal}: ${what}...\n`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`close failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: with no listener left, a second signal would kill the process mid-flush.
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
