import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DataDirError, defaultDataDir, prepareDataDir } from '../core/data-dir.js';
import { DATABASE_FILE } from '../core/start-core.js';
import { LedgerService } from '../../app/ledger-service.js';
import { Ledger } from '../../ledger/store/ledger.js';
import { NewerSchemaError } from '../../ledger/store/migrations.js';
import { DEFAULT_LLM_MANAGER_CURRENCY, importDatabase } from '../../sources/importers/index.js';
import { ImportError, type ImportProgress, type ImportReport } from '../../sources/importers/types.js';

const USAGE = `Usage: node dist/electron/hosts/import/cli.js <file> [--data-dir DIR] [--currency CODE] [--program-runtime skip|as-model]
  Imports an LLM-Manager monitoring.db or a ccx metrics.db into ModelMeter's ledger.
  <file>                 the database to import (opened read-only; it is never changed)
  --data-dir DIR         ModelMeter's data folder (default: the per-user app data folder, or MODELMETER_DATA_DIR)
  --currency CODE        currency of LLM-Manager's prices (default ${DEFAULT_LLM_MANAGER_CURRENCY})
  --program-runtime M    LLM-Manager's own uptime: skip (default) or as-model (runs of a model "LLM-Manager")
  Stop ModelMeter first, or import through the running app (Data view / POST /api/v1/import) instead:
  two processes writing one ledger would hand out the same request ids.
  Importing the same file twice adds nothing.`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const PHASES: Record<ImportProgress['phase'], string> = {
  reading: 'reading',
  pricing: 'prices',
  requests: 'requests',
  runs: 'runs',
  circuits: 'circuits',
  done: 'done',
};

/** Runs the importer command; answers the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`modelmeter-import: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    io.err(`modelmeter-import: give exactly one file to import\n${USAGE}\n`);
    return 2;
  }
  const programRuntime = parsed.values['program-runtime'] ?? 'skip';
  if (programRuntime !== 'skip' && programRuntime !== 'as-model') {
    io.err(`modelmeter-import: --program-runtime is skip or as-model, not "${programRuntime}"\n`);
    return 2;
  }
  let dataDir: string;
  try {
    dataDir = prepareDataDir(parsed.values['data-dir'] ?? io.env['MODELMETER_DATA_DIR'] ?? defaultDataDir(io.env));
  } catch (error) {
    io.err(`modelmeter-import: ${error instanceof DataDirError ? error.message : (error as Error).message}\n`);
    return 1;
  }

  let ledger: Ledger;
  try {
    ledger = Ledger.open(path.join(dataDir, DATABASE_FILE));
  } catch (error) {
    io.err(`modelmeter-import: ${error instanceof NewerSchemaError ? error.message : `cannot open the ledger in ${dataDir}: ${(error as Error).message}`}\n`);
    return 1;
  }
  const service = new LedgerService(ledger);
  let lastLine = '';
  try {
    const report = await importDatabase(service, path.resolve(file), {
      currency: parsed.values.currency ?? DEFAULT_LLM_MANAGER_CURRENCY,
      programRuntime,
      onProgress: (progress) => {
        if (progress.phase === 'done') return;
        const line = `${PHASES[progress.phase]}: ${progress.done}/${progress.total}`;
        if (line !== lastLine) io.err(`${line}\n`);
        lastLine = line;
      },
    });
    io.out(describe(report, dataDir));
    return 0;
  } catch (error) {
    io.err(`modelmeter-import: ${error instanceof ImportError ? error.message : ((error as Error).stack ?? String(error))}\n`);
    return 1;
  } finally {
    service.flush();
    ledger.close();
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      currency: { type: 'string' },
      'program-runtime': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export function describe(report: ImportReport, dataDir: string): string {
  const r = report.requests;
  const lines = [
    `Imported ${report.formatLabel}: ${report.file}`,
    `  into ${dataDir}`,
    `  models:    ${report.models.length}${report.models.length ? ` (${report.models.slice(0, 6).join(', ')}${report.models.length > 6 ? ', …' : ''})` : ''}`,
    `  requests:  ${r.read} read, ${r.accepted} added, ${r.duplicates} already there, ${r.skipped} left out`,
    `  runs:      ${report.runs.read} read, ${report.runs.added} added, ${report.runs.existing} already there, ${report.runs.skipped} left out`,
  ];
  if (report.programRuns.read > 0) {
    lines.push(`  program:   ${report.programRuns.read} read, ${report.programRuns.added} added, ${report.programRuns.existing} already there, ${report.programRuns.skipped} left out`);
  }
  if (report.format !== 'ccx') {
    lines.push(`  prices:    ${report.prices.added} added, ${report.prices.existing} already there, ${report.prices.skipped} not imported (currency ${report.prices.currency ?? '-'})`);
  } else {
    lines.push(`  circuits:  ${report.circuits.read} read, ${report.circuits.updated} updated, ${report.circuits.unchanged} unchanged, ${report.circuits.skipped} left out`);
  }
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return `${lines.join('\n')}\n`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  void runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}
