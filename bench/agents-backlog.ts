/**
 * Backlog import of Claude Code logs: ~100 MB of transcripts in Claude Code's format (streaming copies,
 * tool results, sidechain replays) in a temp CLAUDE_CONFIG_DIR, imported by switching the source on in
 * a fresh ledger on disk. Prints the rate (MB/s, records/s) and the peak RSS.
 *
 *   npm run bench:agents [-- --mb 100]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LedgerService } from '../electron/app/ledger-service.js';
import { Ledger } from '../electron/ledger/store/ledger.js';

const MB = 1024 * 1024;
const targetMb = Number(process.argv[process.argv.indexOf('--mb') + 1]) || 100;
const MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];

/** A small deterministic generator: the same logs on every run. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const random = generator(42);
const filler = (bytes: number) => 'x'.repeat(Math.max(0, Math.floor(bytes)));

interface Written {
  bytes: number;
  messages: number;
  files: number;
}

/** One session: per turn a user line, an assistant message streamed as 3 lines, a tool result. */
function session(file: string, project: string, sessionId: string, start: number, turns: number, ids: { next: number }): { text: string; replay: string; messages: number } {
  const lines: string[] = [];
  let replay = '';
  let messages = 0;
  for (let turn = 0; turn < turns; turn++) {
    const ts = start + turn * 30_000;
    const base = { parentUuid: null, isSidechain: false, userType: 'external', cwd: project, sessionId, version: '2.0.14', gitBranch: 'main' };
    lines.push(JSON.stringify({ ...base, type: 'user', message: { role: 'user', content: `turn ${turn} ${filler(random() * 1500)}` }, uuid: `${sessionId}-u${turn}`, timestamp: new Date(ts).toISOString() }));
    const id = `msg_01${(ids.next++).toString(36).padStart(22, '0')}`;
    const model = MODELS[Math.floor(random() * MODELS.length)]!;
    const usage = { input_tokens: 4 + Math.floor(random() * 50), cache_creation_input_tokens: Math.floor(random() * 4000), cache_read_input_tokens: Math.floor(random() * 80_000) };
    const output = 50 + Math.floor(random() * 3000);
    for (const [copy, out] of [8, Math.floor(output / 3), output].entries()) {
      const line = JSON.stringify({
        ...base,
        message: { model, id, type: 'message', role: 'assistant', content: [{ type: copy === 2 ? 'tool_use' : 'text', text: filler(200 + random() * 400) }], usage: { ...usage, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: usage.cache_creation_input_tokens }, output_tokens: out } },
        requestId: `req_${id}`,
        type: 'assistant',
        uuid: `${sessionId}-a${turn}-${copy}`,
        timestamp: new Date(ts + 2_000 + copy * 1_500).toISOString(),
      });
      lines.push(line);
      // A sidechain replays every fifth message under a new requestId.
      if (copy === 2 && turn % 5 === 0) replay += `${line.replace('"isSidechain":false', '"isSidechain":true').replace(`"requestId":"req_${id}"`, `"requestId":"req_side_${id}"`)}\n`;
    }
    messages++;
    lines.push(JSON.stringify({ ...base, type: 'user', message: { role: 'user', content: [{ tool_use_id: `toolu_${turn}`, type: 'tool_result', content: filler(random() * 4000) }] }, uuid: `${sessionId}-t${turn}`, timestamp: new Date(ts + 7_000).toISOString() }));
  }
  void file;
  return { text: `${lines.join('\n')}\n`, replay, messages };
}

function generate(root: string, targetBytes: number): Written {
  const written: Written = { bytes: 0, messages: 0, files: 0 };
  const ids = { next: 1 };
  const start = Date.now() - 40 * 86_400_000;
  for (let n = 0; written.bytes < targetBytes; n++) {
    const project = `/home/dev/project-${n % 40}`;
    const folder = path.join(root, 'projects', project.replaceAll('/', '-'));
    const sessionId = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `${sessionId}.jsonl`);
    const { text, replay, messages } = session(file, project, sessionId, start + n * 3_600_000, 40 + Math.floor(random() * 40), ids);
    fs.writeFileSync(file, text);
    written.bytes += Buffer.byteLength(text);
    written.files++;
    if (replay) {
      const sub = path.join(folder, sessionId, 'subagents');
      fs.mkdirSync(sub, { recursive: true });
      fs.writeFileSync(path.join(sub, 'agent-1.jsonl'), replay);
      written.bytes += Buffer.byteLength(replay);
      written.files++;
    }
    written.messages += messages;
  }
  return written;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-bench-agents-'));
  try {
    const config = path.join(dir, 'claude');
    const made = generate(config, targetMb * MB);
    // Written files are not quiet for the follower's default 30 s; the benchmark treats them as old.
    const ledger = Ledger.open(path.join(dir, 'modelmeter.db'));
    const service = new LedgerService(ledger);
    service.agents.sources.configure({ env: { CLAUDE_CONFIG_DIR: config }, home: dir, watch: false, timing: { quietMs: 0, pollMs: 600_000 } });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let events = 0;
    service.events.subscribe((event) => {
      if (event.type === 'agents') events++;
    });
    const started = performance.now();
    service.agents.start();
    await service.setAgentSource({ id: 'claude-code', enabled: true });
    await service.agents.sources.whenImported('claude-code');
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const stored = (ledger.db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number }).n;
    const follower = service.agents.sources.follower('claude-code')!;
    const mb = made.bytes / MB;
    console.log(`Claude Code backlog: ${made.files} files, ${mb.toFixed(1)} MB, ${made.messages} calls (${follower.counters.linesRead} lines)`);
    console.log(`imported ${stored} records in ${seconds.toFixed(2)} s: ${(mb / seconds).toFixed(1)} MB/s, ${Math.round(stored / seconds)} records/s`);
    console.log(`RSS before ${(rssBefore / MB).toFixed(0)} MiB, peak during import ${(peak / MB).toFixed(0)} MiB (+${((peak - rssBefore) / MB).toFixed(0)} MiB); ${events} progress events`);
    if (stored !== made.messages) {
      console.error(`MISMATCH: ${made.messages} calls written, ${stored} records stored`);
      process.exitCode = 1;
    }
    await service.agents.close();
    service.flush();
    await service.closeReads();
    ledger.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
