import { ApiError, type ErrorBody } from '../../../shared/errors.js';
import type { History, ModelSummary, ProjectInfo, RequestPage, Summary } from '../../../shared/types.js';
import type { HistoryGroupBy } from '../../../shared/schemas/queries.js';
import type { ExportArgs, ExportPage } from '../export/export-page.js';
import type { TimeRange } from '../time/ranges.js';

/** What crosses between the main thread and the read worker: plain data only (structured clone). */

export interface HistoryArgs {
  range: TimeRange;
  /** Bucket width in seconds, already chosen ('auto' resolved). */
  interval: number;
  model?: string;
  apiType?: string;
  metricsKey?: string;
  baseUrl?: string;
  /** A project's path as recorded. */
  project?: string;
  /** A machine's name as forwarded, or LOCAL_HOST for this one. */
  host?: string;
  /** One row per model, project, machine or channel; absent: one row of everything. */
  groupBy?: HistoryGroupBy;
}

export interface RequestsArgs {
  from: number;
  to: number;
  model?: string;
  apiType?: string;
  metricsKey?: string;
  project?: string;
  host?: string;
  limit: number;
  before?: string;
}

export type SummaryCore = Omit<Summary, 'converted'>;

export type ReadCall =
  | { op: 'summary'; range: TimeRange; project?: string; host?: string }
  | { op: 'history'; args: HistoryArgs }
  | { op: 'requests'; args: RequestsArgs }
  | { op: 'projects'; limit: number }
  | { op: 'export'; args: ExportArgs };

export interface ReadResults {
  summary: SummaryCore;
  history: History;
  requests: RequestPage;
  projects: ProjectInfo[];
  export: ExportPage;
}

export type ReadOp = ReadCall['op'];

/**
 * What the main thread still adds to a summary (the display-currency conversion and the savings),
 * taken from the worker's answer so the JSON text need not be parsed again.
 */
export interface SummaryFacts {
  from: number;
  to: number;
  cost: Summary['totals']['cost'];
  models: Pick<ModelSummary, 'model' | 'cost'>[];
}

/**
 * An answer as the JSON text the HTTP server sends, serialised where it was read (the worker) so the
 * main thread never walks a big answer; a summary also carries the facts the main thread adds from.
 * From a worker, every answer but a summary (whose text the main thread appends to) arrives as its
 * UTF-8 bytes, transferred rather than copied: a 365 KB history cost ~1.3 ms to clone between the
 * threads as a string, half of it on the main thread, and the socket then takes the bytes as they are.
 */
export interface JsonAnswer {
  json: string | Buffer;
  facts?: SummaryFacts;
  /**
   * Set on bytes a read worker lent: call it once `json` has been sent and is not read again (a
   * response's 'finish'), and the memory goes back to the worker for a later answer; `json` is empty
   * from then on. Not calling it is safe: the memory is then freed as usual.
   */
  release?: () => void;
}

/** The JSON text of an answer, whichever form it came in. */
export function jsonText(answer: JsonAnswer): string {
  return typeof answer.json === 'string' ? answer.json : answer.json.toString('utf8');
}

/** What a worker posts for an answer in bytes: a Uint8Array whose buffer is transferred. */
export interface JsonBytes {
  jsonBytes: Uint8Array;
}

/** 'object': the answer as data (IPC, tests); 'json': as JsonAnswer (the HTTP routes). */
export type AnswerForm = 'object' | 'json';

export interface ReadMessage {
  id: number;
  /** The main thread's clock at the call, so both sides agree on "now" (open runs, current prices). */
  now: number;
  call: ReadCall;
  form: AnswerForm;
}

/** An ApiError keeps its code, message and details; anything else is a bug and arrives as an Error. */
export type WireError = { api: ErrorBody } | { message: string; stack?: string };

export type ReadReply = { id: number; ok: true; value: ReadResults[ReadOp] | JsonAnswer | JsonBytes } | { id: number; ok: false; error: WireError };

/** From the worker: `ready` once its connection is open, then one reply per call, in order. */
export type WorkerMessage = { type: 'ready' } | ({ type: 'reply' } & ReadReply);

/** An answer's buffer handed back (transferred) once the main thread has sent it. */
export interface RecycleMessage {
  recycle: ArrayBuffer;
}

/** To the worker: a call, a buffer back, or 'close' (answer what is queued, close the connection, end). */
export type MainMessage = ReadMessage | RecycleMessage | 'close';

export interface ReadWorkerData {
  file: string;
  nativeBinding?: string;
  /** How many nice steps the thread goes below the process (background-priority.ts); absent or 0: none. */
  nice?: number;
}

export function encodeError(error: unknown): WireError {
  if (error instanceof ApiError) return { api: error.toBody() };
  if (error instanceof Error) return error.stack ? { message: error.message, stack: error.stack } : { message: error.message };
  return { message: String(error) };
}

export function decodeError(wire: WireError): Error {
  if ('api' in wire) return ApiError.fromBody(wire.api);
  const error = new Error(wire.message);
  if (wire.stack) error.stack = wire.stack;
  return error;
}
