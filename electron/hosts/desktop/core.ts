import type { LedgerApi } from '../../../shared/api.js';
import type { AppInfo } from '../../../shared/app.js';
import type { LedgerEvent } from '../../../shared/types.js';
import { startCore, type CoreOptions } from '../core/start-core.js';
import type { ExportChunk, ExportFilter } from '../../app/ledger-service.js';

/** What the desktop shell needs of the in-process core. */
export interface DesktopCore {
  service: LedgerApi & { events: { subscribe(listener: (event: LedgerEvent) => void): () => void } };
  port: number;
  appInfo(): AppInfo;
  exportPages(filter: ExportFilter): AsyncIterable<ExportChunk>;
  close(): Promise<void>;
}

export type CoreStarter = (options: CoreOptions) => Promise<DesktopCore>;

/** The real core (ledger, service, HTTP API for launchers) in this process. */
export const startDesktopCore: CoreStarter = async (options) => {
  const core = await startCore(options);
  return {
    service: core.service,
    port: core.port,
    appInfo: core.appInfo,
    close: () => core.close(),
    // The same pages as GET /api/v1/export.
    exportPages: (filter) => core.service.exportPages(filter),
  };
};
