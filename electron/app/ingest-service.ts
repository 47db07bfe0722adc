import type { IngestBody } from '../../shared/api.js';
import type { RequestRecord } from '../../shared/schemas/request-record.js';
import { runEventSchema, type RunEventInput } from '../../shared/schemas/run-event.js';
import type { IngestResult, Run } from '../../shared/types.js';
import { BufferedWriter, type BufferedWriterOptions } from '../ledger/ingest/buffered-writer.js';
import { GroupCommitWriter } from '../ledger/ingest/group-commit.js';
import { compiledWriteWorker, WriteWorkerClient, writeWorkerUnusable } from '../ledger/ingest/writer/write-worker-client.js';
import { parseIngestBodyInChunks } from '../ledger/input/ingest-body.js';
import { parseInput } from '../ledger/input/validation.js';
import type { WriteResult } from '../ledger/store/request-writer.js';
import { workerNice } from '../ledger/threads/background-priority.js';
import { DomainService, type ServiceContext } from './domain-service.js';

export interface IngestOptions {
  /**
   * Where HTTP batches and in-process producers' records are committed: 'inline' on the main
   * connection (the default; TypeScript sources cannot start the thread), or 'worker' in the writer
   * thread (electron/ledger/ingest/writer/) on its own connection, so fsync and rollups never hold
   * the event loop. 'worker' needs the compiled entry (compiledWriteWorker(), or writeWorker) and a
   * database file; where neither is there it falls back to 'inline'.
   */
  writes?: 'inline' | 'worker';
  /** The writer thread's entry, when not the compiled one next to the code (tests). */
  writeWorker?: URL;
  /** The better-sqlite3 addon the thread's connection loads (Electron's build on the desktop). */
  nativeBinding?: string;
  /** Where the thread reports that it stopped or could not start. */
  log?: (message: string) => void;
}

/** Requests and runs coming in: the group-commit path (HTTP), the buffered path (in-process) and direct writes. */
export class IngestService extends DomainService {
  private readonly inline: GroupCommitWriter;
  /** The writer thread, when `writes: 'worker'` could start it. */
  private readonly thread: WriteWorkerClient | null;

  constructor(context: ServiceContext, options: IngestOptions = {}) {
    super(context);
    const ledger = this.ledger;
    this.inline = new GroupCommitWriter(ledger, (results) => this.announceRequests(results));
    this.thread = this.writerThread(options);
  }

  private writerThread(options: IngestOptions): WriteWorkerClient | null {
    if (options.writes !== 'worker') return null;
    const log = options.log ?? (() => {});
    const workerUrl = options.writeWorker ?? compiledWriteWorker();
    const unusable = workerUrl === null ? 'the compiled writer thread is missing' : writeWorkerUnusable(this.ledger);
    if (unusable !== null) {
      log(`writes stay on the main thread: ${unusable}`);
      return null;
    }
    return new WriteWorkerClient({
      ledger: this.ledger,
      workerUrl: workerUrl!,
      fallback: this.inline,
      nice: workerNice(),
      onCommit: (results) => this.announceRequests(results),
      log,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    });
  }

  /** Whether committed batches go to the writer thread now. */
  get writesInThread(): boolean {
    return this.thread?.usingWorker ?? false;
  }

  /** The non-blocking path for producers inside the process; see BufferedWriter. */
  createBufferedWriter(options?: BufferedWriterOptions): BufferedWriter {
    const thread = this.thread;
    // The thread announces its commits itself (onCommit); a failure requeues the batch.
    if (thread !== null) return new BufferedWriter((records) => thread.submit(records), options);
    return new BufferedWriter((records) => {
      const result = this.ledger.write(() => this.ledger.requests.write(records));
      this.announceRequests([result]);
    }, options);
  }

  /** Writes already-normalised records at once, in one transaction (benchmarks, importers). */
  writeRecords(records: RequestRecord[]): WriteResult {
    const result = this.ledger.write(() => this.ledger.requests.write(records));
    this.announceRequests([result]);
    return result;
  }

  /**
   * Not async, nor is the step after validation: a suspended async frame would keep the parsed body
   * and the validated records alive until the commit answers (tens of ms), so that a scavenge in
   * between copies and promotes them, on the event loop. With the writer thread nothing here holds
   * either once the batch is sent (the caller holds the body until it lets go of it).
   */
  ingestRequests(body: IngestBody | unknown): Promise<IngestResult> {
    return parseIngestBodyInChunks(body, this.now).then((records) => this.commitValidated(records));
  }

  private commitValidated(records: RequestRecord[]): Promise<IngestResult> {
    if (records.length === 0) return Promise.resolve({ accepted: 0, duplicates: 0 });
    return (this.thread ?? this.inline).submit(records).then((result) => ({ accepted: result.accepted, duplicates: result.duplicates }));
  }

  /** Validated records through the committed path (group commit, or the writer thread): resolves once they are committed. */
  submitRecords(records: RequestRecord[]): Promise<WriteResult> {
    return (this.thread ?? this.inline).submit(records);
  }

  async reportRun(input: RunEventInput): Promise<Run> {
    const event = parseInput(runEventSchema, input, 'run event');
    // A heartbeat must not hold the event loop: committed in the writer thread when there is one
    // (no fsync here), else on the main connection once the thread's transaction is done.
    const inline = () => this.ledger.ctx.writeWhenFree(() => this.ledger.runs.report(event));
    const run = await (this.thread === null ? inline() : this.thread.reportRun(event, inline));
    // The main connection's mirror learns of the run at once, as when the run was written here
    // (budgets ask it which models are local).
    const modelId = this.ledger.ctx.models.find(run.model);
    if (modelId !== undefined) this.ledger.ctx.localModels.noteRun(modelId);
    this.events.emit({ type: 'runs', model: run.model, run });
    return run;
  }

  /**
   * Commits what is queued (waiting for the writer thread, which then closes its connection; later
   * batches are committed on the main connection); the caller then closes the ledger.
   */
  flush(): void {
    if (this.thread !== null) this.thread.close();
    this.inline.flush();
  }

  private announceRequests(results: WriteResult[]): void {
    let count = 0;
    const models = new Set<string>();
    for (const result of results) {
      count += result.accepted;
      for (const model of result.models) models.add(model);
    }
    if (count > 0) this.events.emit({ type: 'requests', count, models: [...models] });
  }
}
