import { ApiError } from '../../shared/errors.js';
import { importRequestSchema, type ImportRequest } from '../../shared/schemas/integrations.js';
import type { ImportReport } from '../../shared/types.js';
import { parseInput } from '../ledger/input/validation.js';
import { importDatabase } from '../sources/importers/index.js';
import type { ImportPorts } from '../sources/ports.js';
import { DomainService, type ServiceContext } from './domain-service.js';
import type { LedgerServiceOptions } from './usage-service.js';

/** Imports of other tools' databases, one at a time, written through the whole API (the target) as any client would. */
export class ImportService extends DomainService {
  private importing: string | null = null;
  /** The better-sqlite3 addon for other connections this process opens (import sources too). */
  private readonly nativeBinding: string | undefined;

  constructor(
    context: ServiceContext,
    options: LedgerServiceOptions,
    private readonly target: ImportPorts,
  ) {
    super(context);
    this.nativeBinding = options.nativeBinding;
  }

  /**
   * Imports an LLM-Manager or ccx database from a path on this machine, one at a time; progress goes
   * out as `import` events so every open view can show it.
   */
  async importDatabase(input: ImportRequest): Promise<ImportReport> {
    const request = parseInput(importRequestSchema, input, 'import request');
    if (this.importing !== null) throw new ApiError('conflict', `an import of ${this.importing} is running; wait for it to finish`);
    this.importing = request.path;
    let last = 0;
    try {
      const report = await importDatabase(this.target, request.path, {
        ...(this.nativeBinding ? { nativeBinding: this.nativeBinding } : {}),
        ...(request.currency ? { currency: request.currency } : {}),
        ...(request.programRuntime ? { programRuntime: request.programRuntime } : {}),
        onProgress: (progress) => {
          // At most a few progress events a second: a big file reports per batch.
          const now = Date.now();
          if (progress.phase !== 'done' && progress.done !== progress.total && now - last < 200) return;
          last = now;
          this.events.emit({ type: 'import', file: request.path, progress });
        },
      });
      this.events.emit({ type: 'data', reason: 'import' });
      return report;
    } finally {
      this.importing = null;
    }
  }
}
