import path from 'node:path';
import { ApiError } from '../../../shared/errors.js';
import { currencySchema } from '../../../shared/schemas/pricing.js';
import type { ImportPorts } from '../ports.js';
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
 * is not one of them fails with an ImportError and leaves the ledger untouched. Then the whole file is
 * read and checked once without writing (a malformed page, a value the ledger refuses: nothing is
 * written), and read again to write. Every cell is cut to size in SQL, and the reading hands the
 * event loop a turn every few milliseconds, so a crafted file can neither exhaust memory nor stall a
 * running server. Importing the same file again adds nothing (requests by id, runs by
 * model/source/start, prices and circuits by value), so an import stopped while writing (cancelled, disk
 * full) is completed by running it again.
 */
export async function importDatabase(service: ImportPorts, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  const currency = options.currency ?? DEFAULT_LLM_MANAGER_CURRENCY;
  if (!currencySchema.safeParse(currency).success) throw new ImportError('bad_option', `currency must be an ISO 4217 code such as CNY or USD, not "${currency}"`);
  if (options.signal?.aborted) throw new ImportError('aborted', 'the import was cancelled before it started; nothing was written');
  const source = SourceDb.open(file, {
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    ...ownFolder(service),
  });
  try {
    const format = detectLayout(source);
    const now = service.ledger.ctx.now();
    const pass = async (writer: ImportWriter) => {
      if (format === 'ccx') await importCcx(source, service, writer, now);
      else
        await importLlmManager(source, format === 'llm-manager-tables' ? 'tables' : 'unified', writer, {
          currency,
          programRuntime: options.programRuntime ?? 'skip',
          now,
        });
    };
    try {
      await pass(new ImportWriter(service, emptyReport(file, format, now), options, 'check'));
    } catch (error) {
      throw refused(file, error);
    }
    const report = emptyReport(file, format, now);
    const writer = new ImportWriter(service, report, options);
    try {
      await pass(writer);
    } catch (error) {
      throw stopped(file, report, error);
    }
    writer.finish();
    report.finishedAt = service.ledger.ctx.now();
    writer.progress('done', 1, 1);
    return report;
  } finally {
    source.close();
  }
}

/** The ledger's own folder (its database, log, token and key files) is never a source. */
function ownFolder(service: ImportPorts): { protectedDir?: string } {
  const db = service.ledger.db;
  return db.memory || db.name === '' ? {} : { protectedDir: path.dirname(path.resolve(db.name)) };
}

/** The check pass failed: nothing was written. */
function refused(file: string, error: unknown): ImportError {
  if (error instanceof ImportError) return error;
  if (error instanceof ApiError) return new ImportError('failed', `${file} holds data ModelMeter cannot take (${error.message}); nothing was imported`);
  return new ImportError('unreadable', `cannot read ${file} to the end (${readReason(error)}); nothing was imported`);
}

/** The write pass failed (cancelled, disk full): say what is in, and that a second run completes it. */
function stopped(file: string, report: ImportReport, error: unknown): ImportError {
  const written = `${report.requests.accepted} requests, ${report.runs.added + report.programRuns.added} runs and ${report.prices.added} prices were written`;
  const again = 'importing the file again completes it without counting anything twice';
  if (error instanceof ImportError && error.reason === 'aborted') return new ImportError('aborted', `the import of ${file} was cancelled: ${written}; ${again}`);
  const reason = error instanceof ApiError ? error.message : readReason(error);
  return new ImportError('failed', `the import of ${file} stopped (${reason}): ${written}; ${again}`);
}

function readReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? (error as Error).message.slice(0, 200) : 'an unexpected error';
}
