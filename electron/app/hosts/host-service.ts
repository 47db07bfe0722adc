import { ApiError, type ErrorDetail } from '../../../shared/errors.js';
import { forwardBatchSchema, type ForwardBatch, type ForwardBatchInput, type ForwardBatchResult, type HostInfo } from '../../../shared/schemas/forwarding.js';
import type { RequestRecord } from '../../../shared/schemas/request-record.js';
import type { Run } from '../../../shared/types.js';
import { parseIngestBodyInChunks } from '../../ledger/input/ingest-body.js';
import { parseInput } from '../../ledger/input/validation.js';
import type { WriteResult } from '../../ledger/store/request-writer.js';
import type { CircuitChange } from '../circuit-service.js';
import type { ServiceContext } from '../domain-service.js';
import { DomainService } from '../domain-service.js';

/** The committed ingest path (IngestService): resolves once the records are committed. */
export interface RecordSubmitter {
  submitRecords(records: RequestRecord[]): Promise<WriteResult>;
}

/** How circuit states are written and announced (CircuitService), as PUT /circuits does. */
export interface CircuitWriter {
  writeUpdates(updates: ForwardBatch['circuits']): CircuitChange[];
  announce(changed: readonly CircuitChange[]): void;
}

/**
 * The receiving side of forwarding: batches another ModelMeter sends (POST /forward), stored as
 * coming from its host, and the list of machines the ledger has records from.
 *
 * A batch is validated whole before anything is written. Runs and circuit states are written first,
 * in one transaction (a circuit naming an unknown channel refuses the batch there, with nothing
 * stored); then the requests go through the normal committed ingest path (group commit or the
 * writer thread). The answer comes only after both are committed. Every part is idempotent
 * (request ids, run origin ids, circuit states), so a batch sent again after a crash between the two
 * steps, or after a lost answer, is stored once.
 */
export class HostService extends DomainService {
  constructor(
    context: ServiceContext,
    private readonly ingest: RecordSubmitter,
    private readonly circuits: CircuitWriter,
  ) {
    super(context);
  }

  async ingestForwarded(body: ForwardBatchInput): Promise<ForwardBatchResult> {
    const batch = parseInput(forwardBatchSchema, body, 'forwarded batch');
    const records = await this.parseRequests(batch);
    const ledger = this.ledger;
    const isNew = ledger.ctx.hosts.find(batch.host) === undefined;

    let runs: Run[] = [];
    let changed: CircuitChange[] = [];
    if (batch.runs.length > 0 || batch.circuits.length > 0) {
      ledger.write(() => {
        const hostId = ledger.ctx.hosts.ensure(batch.host);
        runs = batch.runs.map((run) => ledger.forwardedRuns.apply(hostId, run));
        changed = this.circuits.writeUpdates(batch.circuits);
      });
    }
    const written = records.length > 0 ? await this.ingest.submitRecords(records) : { accepted: 0, duplicates: 0 };

    for (const run of runs) this.events.emit({ type: 'runs', model: run.model, run });
    this.circuits.announce(changed);
    if (isNew && ledger.ctx.hosts.find(batch.host) !== undefined) this.events.emit({ type: 'hosts' });
    return {
      host: batch.host,
      requests: { accepted: written.accepted, duplicates: written.duplicates },
      runs: runs.length,
      circuits: batch.circuits.length,
    };
  }

  /** This machine first (name null), then the others by their latest record. */
  async listHosts(): Promise<HostInfo[]> {
    return this.ledger.hosts.list();
  }

  /**
   * The batch's requests as records, each with its machine (its own `host`, else the batch's). A
   * request without a requestId is refused: only the id makes a resend a duplicate.
   */
  private async parseRequests(batch: ForwardBatch): Promise<RequestRecord[]> {
    if (batch.requests.length === 0) return [];
    let records: RequestRecord[];
    try {
      records = await parseIngestBodyInChunks(batch.requests, this.now);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError(error.code, `invalid forwarded batch: requests: ${error.message}`, error.details?.map((detail) => ({ ...detail, field: `requests.${detail.field}` })));
    }
    const missing: ErrorDetail[] = [];
    records.forEach((record, index) => {
      if (record.requestId === null) missing.push({ index, field: 'requests.requestId', reason: 'forwarded requests must carry a requestId' });
      record.host = record.host ?? batch.host;
    });
    if (missing.length > 0) {
      throw new ApiError(
        'validation_failed',
        `invalid forwarded batch: forwarded requests must carry a requestId (${missing.length} of ${records.length} do not; first: request ${missing[0]!.index}); nothing was stored`,
        missing.slice(0, 100),
      );
    }
    return records;
  }
}
