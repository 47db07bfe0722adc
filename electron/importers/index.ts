import { currencySchema } from '../../shared/schemas/pricing.js';
import type { LedgerService } from '../service/ledger-service.js';
import { importCcx } from './ccx.js';
import { importLlmManager } from './llm-manager.js';
import { detectLayout, SourceDb } from './source.js';
import { emptyReport, ImportError, type ImportOptions, type ImportReport } from './types.js';
import { ImportWriter } from './writer.js';

export { detectFormat } from './source.js';
export { FORMAT_LABELS, ImportError, type ImportFormat, type ImportOptions, type ImportProgress, type ImportReport } from './types.js';

/** LLM-Manager showed its prices in yuan (元/百万token, 元/小时). */
export const DEFAULT_LLM_MANAGER_CURRENCY = 'CNY';

/**
 * Imports an LLM-Manager monitoring.db or a ccx metrics.db into the ledger through the service API.
 * The source is opened read-only and its layout recognised before anything is written: a file that
 * is not one of them fails with an ImportError and leaves the ledger untouched. Importing the same
 * file again adds nothing (requests by id, runs by model/source/start, prices and circuits by value).
 */
export async function importDatabase(service: LedgerService, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  const currency = options.currency ?? DEFAULT_LLM_MANAGER_CURRENCY;
  if (!currencySchema.safeParse(currency).success) throw new ImportError('bad_option', `currency must be an ISO 4217 code such as CNY or USD, not "${currency}"`);
  if (options.signal?.aborted) throw new ImportError('aborted', 'the import was cancelled before it started; nothing was written');
  const source = SourceDb.open(file);
  try {
    const format = detectLayout(source);
    const now = service.ledger.ctx.now();
    const report = emptyReport(file, format, now);
    const writer = new ImportWriter(service, report, options);
    if (format === 'ccx') await importCcx(source, service, writer, now);
    else
      await importLlmManager(source, format === 'llm-manager-tables' ? 'tables' : 'unified', writer, {
        currency,
        programRuntime: options.programRuntime ?? 'skip',
        now,
      });
    writer.finish();
    report.finishedAt = service.ledger.ctx.now();
    writer.progress('done', 1, 1);
    return report;
  } finally {
    source.close();
  }
}
