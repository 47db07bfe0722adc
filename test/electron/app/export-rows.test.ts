import { describe, expect, it } from 'vitest';
import { exportStream } from '../../../electron/hosts/http/export-stream.js';
import { useSlicedLedgers } from './sliced-ledgers.js';

const DAY0 = Date.UTC(2026, 5, 1);

const ledger = useSlicedLedgers(DAY0 + 86_400_000);

describe('an export of many requests', () => {
  it('comes in chunks of 1,000 rows with a turn of the event loop between them, every row once, oldest first', async () => {
    const h = ledger();
    const records = Array.from({ length: 3_500 }, (_, i) => ({ ts: DAY0 + i * 1_000, model: i % 2 ? 'gpt-4o' : 'qwen3', inputTokens: i, outputTokens: 1, requestId: `r-${i}` }));
    for (let at = 0; at < records.length; at += 1_000) await h.service.ingestRequests(records.slice(at, at + 1_000));

    let turns = 0;
    let counting = true;
    const tick = (): void => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    let text = '';
    for await (const piece of exportStream(h.service.exportRows({ from: DAY0, to: DAY0 + 86_400_000 }), 'json')) text += String(piece);
    counting = false;

    const rows = JSON.parse(text) as { requestId: string; inputTokens: number }[];
    expect(rows.map((row) => row.requestId)).toEqual(records.map((record) => record.requestId));
    expect(rows.map((row) => row.inputTokens)).toEqual(records.map((record) => record.inputTokens));
    // A proxied call or a dashboard read waits behind one chunk at most, not the whole export.
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});
