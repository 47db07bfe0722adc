import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/built-core.js';

/**
 * What the ledger's own threads load. Each worker is a V8 isolate of its own that compiles and keeps
 * every module it imports: zod, the price package's 1.6 MB data script and date-fns's index (its ~250
 * functions) cost each thread ~10-20 MiB of RSS, and the read workers use none of them (the writer
 * loads the price package when it first prices, through price-package.ts). The walk follows the
 * imports that stay in the compiled code: type-only ones are erased by the compiler.
 */

const WORKERS = ['electron/ledger/reads/read-worker.ts', 'electron/ledger/ingest/writer/write-worker.ts'];

/** Packages a worker must not load; a bare `date-fns` is its whole index (subpaths are fine). */
const HEAVY = [/^zod(\/|$)/, /^@pydantic\/genai-prices$/, /^date-fns$/];

/** The specifiers a file imports at run time: type-only imports and exports left out. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const kept =
        !clause ||
        (!clause.isTypeOnly &&
          (clause.name !== undefined ||
            clause.namedBindings === undefined ||
            ts.isNamespaceImport(clause.namedBindings) ||
            clause.namedBindings.elements.some((element) => !element.isTypeOnly)));
      if (kept) found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      const clause = statement.exportClause;
      if (!clause || !ts.isNamedExports(clause) || clause.elements.some((element) => !element.isTypeOnly)) {
        found.push((statement.moduleSpecifier as ts.StringLiteral).text);
      }
    }
  }
  return found;
}

/** Every package a file reaches through run-time imports, each with the chain of files that leads there. */
function packagesReached(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(path.join(ROOT, file))) {
      if (specifier.startsWith('node:')) continue;
      if (!specifier.startsWith('.')) {
        if (!packages.has(specifier)) packages.set(specifier, [...chain, file]);
        continue;
      }
      walk(path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), specifier)).replace(/\.js$/, '.ts'), [...chain, file]);
    }
  };
  walk(entry, []);
  return packages;
}

function heavyOf(entry: string): string[] {
  return [...packagesReached(entry)].filter(([name]) => HEAVY.some((pattern) => pattern.test(name))).map(([name, chain]) => `${name} <- ${chain.join(' <- ')}`);
}

describe("the ledger's worker threads", () => {
  it.each(WORKERS)('%s loads neither zod, nor the price package, nor the whole of date-fns', (entry) => {
    expect(heavyOf(entry)).toEqual([]);
    // It still reaches what it needs: the walk follows the real graph.
    expect([...packagesReached(entry).keys()]).toContain('better-sqlite3');
  });

  it('would see them where they are loaded: the HTTP host reaches zod', () => {
    expect(heavyOf('electron/hosts/headless/main.ts').some((line) => line.startsWith('zod'))).toBe(true);
  });
});
