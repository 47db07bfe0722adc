import fs from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { buildHttpServer } from '../../../../electron/hosts/http/server.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { tempDir } from './helpers.js';

export interface DashboardServers {
  /** An in-process server (no port) over an in-memory ledger, serving the dashboard from a folder, or the "not built" page for null. */
  serverWith(rendererDir: string | null): ReturnType<typeof buildHttpServer>;
  /** Something else to close after the test. */
  closeAfter(...close: (() => Promise<unknown> | void)[]): void;
}

/** Call inside a describe: after each test, what was opened closes, last opened first. */
export function useDashboardServers(): DashboardServers {
  const closers: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  const closeAfter = (...close: (() => Promise<unknown> | void)[]) => void closers.push(...close);
  return {
    serverWith(rendererDir) {
      const ledger = Ledger.open(':memory:');
      const app = buildHttpServer({ service: new LedgerService(ledger), token: 't', version: '9.9.9', rendererDir });
      closeAfter(() => ledger.close(), () => app.close());
      return app;
    },
    closeAfter,
  };
}

/** A built dashboard as Vite lays it out: index.html and one hashed script, `assets/index-abc.js`. */
export function builtDashboard(script: string): string {
  const dir = tempDir('modelmeter-renderer-');
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), script);
  return dir;
}
