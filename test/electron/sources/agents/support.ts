import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import type { FollowTiming } from '../../../../electron/sources/agents/follow/follower.js';

export const CLAUDE_FIXTURE = fileURLToPath(new URL('../../../fixtures/agents/claude-code/', import.meta.url));

const dirs: string[] = [];
export function tempDir(prefix = 'modelmeter-agents-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A copy of the Claude Code fixture in a temp folder (tests change it), as CLAUDE_CONFIG_DIR. */
export function claudeConfigCopy(): string {
  const dir = tempDir('modelmeter-claude-');
  fs.cpSync(CLAUDE_FIXTURE, dir, { recursive: true });
  return dir;
}

/** Every file of the fixture's projects folder, for independent counts. */
export function jsonlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.jsonl')) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

export interface Totals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/**
 * The independent count: every Anthropic message once (by message.id), with the copy carrying the
 * most tokens (the final streaming copy), `<synthetic>` left out. Written from the format's
 * description, not from the parser.
 */
export function independentTotals(files: string[]): Record<string, Totals> {
  const best = new Map<string, { model: string; usage: Record<string, number>; total: number }>();
  for (const file of files) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as { type?: string; message?: { id?: string; model?: string; usage?: Record<string, number> } };
      if (row.type !== 'assistant' || !row.message?.usage || !row.message.id || row.message.model === '<synthetic>') continue;
      const usage = row.message.usage;
      const total = (usage['input_tokens'] ?? 0) + (usage['output_tokens'] ?? 0) + (usage['cache_read_input_tokens'] ?? 0) + (usage['cache_creation_input_tokens'] ?? 0);
      const seen = best.get(row.message.id);
      if (!seen || total > seen.total) best.set(row.message.id, { model: row.message.model!, usage, total });
    }
  }
  const out: Record<string, Totals> = {};
  for (const { model, usage } of best.values()) {
    const totals = (out[model] ??= { requests: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
    totals.requests++;
    totals.inputTokens += usage['input_tokens'] ?? 0;
    totals.outputTokens += usage['output_tokens'] ?? 0;
    totals.cacheReadTokens += usage['cache_read_input_tokens'] ?? 0;
    totals.cacheWriteTokens += usage['cache_creation_input_tokens'] ?? 0;
  }
  return out;
}

/** What the ledger holds per model, read straight from its tables. */
export function ledgerTotals(ledger: Ledger): Record<string, Totals> {
  const rows = ledger.db
    .prepare(
      `SELECT m.name AS model, count(*) AS requests, sum(r.input_tokens) AS inputTokens, sum(r.output_tokens) AS outputTokens,
              sum(r.cache_read_tokens) AS cacheReadTokens, sum(r.cache_write_tokens) AS cacheWriteTokens
       FROM requests r JOIN models m ON m.id = r.model_id GROUP BY m.name`,
    )
    .all() as (Totals & { model: string })[];
  return Object.fromEntries(rows.map(({ model, ...totals }) => [model, totals]));
}

export const TEST_TIMING: Partial<FollowTiming> = { pollMs: 60_000, quietMs: 0, progressMs: 0, debounceMs: 10 };

export interface Opened {
  file: string;
  ledger: Ledger;
  service: LedgerService;
}

/** A real ledger on disk in `dir`, its service pointed at `configDir` as CLAUDE_CONFIG_DIR. */
export function openService(dir: string, configDir: string, timing: Partial<FollowTiming> = TEST_TIMING): Opened {
  const file = path.join(dir, 'modelmeter.db');
  const ledger = Ledger.open(file);
  const service = new LedgerService(ledger);
  service.agents.sources.configure({ env: { CLAUDE_CONFIG_DIR: configDir }, home: path.join(dir, 'home'), timing, watch: false });
  return { file, ledger, service };
}

export async function closeService({ ledger, service }: Opened): Promise<void> {
  await service.agents.close();
  service.flush();
  await service.closeReads();
  ledger.close();
}
