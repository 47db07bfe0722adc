import type { IngestBody } from '../../shared/api.js';
import type { RequestRecord } from '../../shared/schemas/request-record.js';
import { runEventSchema, type RunEventInput } from '../../shared/schemas/run-event.js';
import type { IngestResult, Run } from '../../shared/types.js';
import { BufferedWriter, type BufferedWriterOptions } from '../ledger/ingest/buffered-writer.js';
import { GroupCommitWriter } from '../ledger/ingest/group-commit.js';
import { parseIngestBodyInChunks } from '../ledger/input/ingest-body.js';
import { parseInput } from '../ledger/input/validation.js';
import type { WriteResult } from '../ledger/store/request-writer.js';
import { DomainService, type ServiceContext } from './domain-service.js';

/** Requests and runs coming in: the group-commit path (HTTP), the buffered path (in-process) and direct writes. */
export class IngestService extends DomainService {
  private readonly committed: GroupCommitWriter;

  constructor(context: ServiceContext) {
    super(context);
    const ledger = this.ledger;
    this.committed = new GroupCommitWriter(ledger, (results) => this.announceRequests(results));
  }

  /** The non-blocking path for producers inside the process; see BufferedWriter. */
  createBufferedWriter(options?: BufferedWriterOptions): BufferedWriter {
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

  async ingestRequests(body: IngestBody | unknown): Promise<IngestResult> {
    const records = await parseIngestBodyInChunks(body, this.now);
    if (records.length === 0) return { accepted: 0, duplicates: 0 };
    const result = await this.committed.submit(records);
    return { accepted: result.accepted, duplicates: result.duplicates };
  }

  async reportRun(input: RunEventInput): Promise<Run> {
    const event = parseInput(runEventSchema, input, 'run event');
    const run = this.ledger.write(() => this.ledger.runs.report(event));
    this.events.emit({ type: 'runs', model: run.model, run });
    return run;
  }

  /** Flushes what is queued; the caller then closes the ledger. */
  flush(): void {
    this.committed.flush();
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
