import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/built-core.js';

/**
 * The import direction rule of `npm run lint` (.dependency-cruiser.cjs), run on a small planted
 * tree: it must reject an upward import between wings, a circle, shared/ or the renderer reaching
 * into electron/, and accept the downward arrows the layout allows. One run of the CLI keeps it fast.
 */

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/** Each file and the files it imports (as the code writes them: `.js` specifiers for `.ts` sources). */
const PLANTED: Record<string, string[]> = {
  // Allowed: hosts -> app -> sources -> ledger, app -> ledger, everyone -> shared.
  'electron/hosts/http/server.ts': ['../../app/ledger-service.js'],
  'electron/app/ledger-service.ts': ['../sources/ports.js', '../ledger/store/ledger.js', '../../shared/api.js'],
  'electron/sources/ports.ts': ['../ledger/store/ledger.js'],
  'electron/ledger/store/ledger.ts': ['../../../shared/api.js'],
  'shared/api.ts': [],
  'renderer/src/app.ts': ['../../shared/api.js'],
  // Upward: a ledger file reaching a source, a source reaching the app.
  'electron/ledger/store/upward.ts': ['../../sources/ports.js'],
  'electron/sources/proxy/upward.ts': ['../../app/ledger-service.js'],
  // A circle inside one wing.
  'electron/ledger/reads/protocol.ts': ['./read-queries.js'],
  'electron/ledger/reads/read-queries.ts': ['./protocol.js'],
  // The contract and the page must not reach into electron/.
  'shared/leak.ts': ['../electron/ledger/store/ledger.js'],
  'renderer/src/leak.ts': ['../../electron/app/ledger-service.js'],
};

let fixture: string;
let violations: Violation[];

beforeAll(async () => {
  fixture = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-depcruise-'));
  for (const [file, imports] of Object.entries(PLANTED)) {
    const full = path.join(fixture, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    const lines = imports.map((specifier, index) => `export * as m${index} from '${specifier}';`);
    fs.writeFileSync(full, `${lines.join('\n')}\nexport const here = '${file}';\n`);
  }
  fs.writeFileSync(path.join(fixture, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
  const run = promisify(execFile);
  // depcruise exits non-zero when it finds violations; the JSON report is on stdout either way.
  const output = await run(process.execPath, [DEPCRUISE, 'electron', 'shared', 'renderer/src', '--config', CONFIG, '--output-type', 'json'], { cwd: fixture, maxBuffer: 16 * 1024 * 1024 }).then(
    (done) => done.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  violations = (JSON.parse(output) as { summary: { violations: Violation[] } }).summary.violations;
}, 60_000);

afterAll(() => {
  if (fixture) fs.rmSync(fixture, { recursive: true, force: true });
});

const found = (rule: string) =>
  violations
    .filter((violation) => violation.rule.name === rule)
    .map((violation) => `${violation.from} -> ${violation.to}`)
    .sort();

describe('the import direction rule (npm run lint)', () => {
  it('fails on a lower wing importing a higher one', () => {
    expect(found('ledger-imports-no-wing')).toEqual(['electron/ledger/store/upward.ts -> electron/sources/ports.ts']);
    expect(found('sources-import-only-ledger')).toEqual(['electron/sources/proxy/upward.ts -> electron/app/ledger-service.ts']);
  });

  it('fails on an import circle', () => {
    // One report per circle, from the first file of it.
    expect(found('no-circular')).toEqual(['electron/ledger/reads/protocol.ts -> electron/ledger/reads/read-queries.ts']);
  });

  it('fails when shared/ or the renderer import electron/', () => {
    expect(found('shared-imports-no-side')).toEqual(['shared/leak.ts -> electron/ledger/store/ledger.ts']);
    expect(found('renderer-not-electron')).toEqual(['renderer/src/leak.ts -> electron/app/ledger-service.ts']);
  });

  it('accepts every downward arrow of the layout', () => {
    const planted = new Set(['electron/ledger/store/upward.ts', 'electron/sources/proxy/upward.ts', 'electron/ledger/reads/protocol.ts', 'electron/ledger/reads/read-queries.ts', 'shared/leak.ts', 'renderer/src/leak.ts']);
    expect(violations.filter((violation) => !planted.has(violation.from))).toEqual([]);
  });
});
