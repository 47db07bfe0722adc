import { describe, expect, it } from 'vitest';
import { EXPORT_PROGRESS_EVERY_MS } from '../../../../../shared/app.js';
import type { ExportProgress } from '../../../../../shared/types.js';
import type { ExportChunk } from '../../../../../electron/app/ledger-service.js';
import { reportingProgress } from '../../../../../electron/hosts/desktop/host/export-progress.js';

async function* chunks(sizes: number[], total: number | null): AsyncGenerator<ExportChunk> {
  for (const [i, size] of sizes.entries()) yield { bytes: new Uint8Array(size * 10), requests: size, ...(i === 0 ? { total } : {}) };
}

describe('reportingProgress', () => {
  it('passes every byte on and reports at the first page, then at most every interval, then once at the end', async () => {
    const reports: ExportProgress[] = [];
    // Each page is read 90 ms after the one before.
    let now = 0;
    const clock = () => (now += 90);
    const passed: number[] = [];
    for await (const bytes of reportingProgress(chunks([1_000, 1_000, 1_000, 1_000, 1_000, 500, 0], 5_500), (progress) => reports.push(progress), clock)) passed.push(bytes.byteLength);
    expect(passed).toEqual([10_000, 10_000, 10_000, 10_000, 10_000, 5_000, 0]);
    expect(reports[0]).toEqual({ requests: 1_000, total: 5_500, bytes: 10_000 });
    expect(reports.at(-1)).toEqual({ requests: 5_500, total: 5_500, bytes: 55_000 });
    // 7 pages 90 ms apart: reported with the first (90 ms), then at 360 and 630 ms (270 since each), then the end.
    expect(reports.map((report) => report.requests)).toEqual([1_000, 4_000, 5_500, 5_500]);
    expect(EXPORT_PROGRESS_EVERY_MS).toBe(200);
  });

  it('keeps an unknown total unknown', async () => {
    const reports: ExportProgress[] = [];
    for await (const _ of reportingProgress(chunks([3], null), (progress) => reports.push(progress))) void _;
    expect(reports).toEqual([
      { requests: 3, total: null, bytes: 30 },
      { requests: 3, total: null, bytes: 30 },
    ]);
  });
});
