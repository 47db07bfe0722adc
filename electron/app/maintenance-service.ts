import fs from 'node:fs';
import { ApiError } from '../../shared/errors.js';
import { channelsDeleteSchema } from '../../shared/schemas/circuit.js';
import { cleanupBodySchema, cleanupPreviewBodySchema, type CleanupBody, type CleanupPreviewBody } from '../../shared/schemas/queries.js';
import { modelNameSchema } from '../../shared/schemas/request-record.js';
import type { ChannelsDeleteResult, CleanupPreview, CleanupResult, ModelDeleteResult, StorageInfo, TaskProgress } from '../../shared/types.js';
import { parseInput } from '../ledger/input/validation.js';
import { channelIdsOf } from '../ledger/reads/read-queries.js';
import { tsOfId } from '../ledger/store/request-ids.js';
import type { Ledger } from '../ledger/store/ledger.js';
import type { RemovalSubject } from '../ledger/store/usage-removal.js';
import { DomainService, type ServiceContext } from './domain-service.js';
import { DEFAULT_SLICE_MS, inSlices, RAW_PART_MS } from './slices.js';
import { taskProgress } from './task-progress.js';
import { readLastCleanup, recordCleanup } from './last-cleanup.js';
import { retentionCutoff } from './retention.js';

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The parts take() hands out, as they are asked for. */
function* taking<Part>(take: () => Part | undefined): Generator<Part> {
  for (let part = take(); part; part = take()) yield part;
}

export interface MaintenanceOptions {
  /** How long one transaction of a deletion may run before the event loop gets a turn (ms). */
  sliceMs?: number;
  /** Where a deletion finished at start that failed says so (it stays pending for the next start). */
  log?: (message: string) => void;
}

/** Deleting data (a model, channels, raw records before a date) and what the storage holds. */
export class MaintenanceService extends DomainService {
  /** Deletions under way, by what they delete: asking again waits for the same one. */
  private readonly deleting = new Map<string, Promise<unknown>>();
  private readonly sliceMs: number;

  constructor(context: ServiceContext, options: MaintenanceOptions = {}) {
    super(context);
    this.sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    // A deletion a stop cut short is finished first (nothing to do on almost every start).
    for (const subject of this.ledger.pendingDeletions.list()) {
      const finishing = subject.column === 'model_id' ? this.removeModel(subject.ids[0]!) : this.removeChannels([...subject.ids]);
      finishing.then(
        () => this.events.emit({ type: 'data', reason: subject.column === 'model_id' ? 'model-deleted' : 'channels-deleted' }),
        (error: unknown) => options.log?.(`finishing a deletion cut short failed (${error instanceof Error ? error.message : String(error)}); it is tried again at the next start`),
      );
    }
  }

  async deleteModel(input: { model: string }): Promise<ModelDeleteResult> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const modelId = this.ledger.ctx.models.find(model);
    if (modelId === undefined) throw new ApiError('not_found', `no data for model "${model}"`);
    const removed = await this.removeModel(modelId);
    this.events.emit({ type: 'data', reason: 'model-deleted' });
    return { model, ...removed };
  }

  async deleteChannels(input: { metricsKeys: string[]; apiType: string }): Promise<ChannelsDeleteResult> {
    const parsed = parseInput(channelsDeleteSchema, input, 'channel delete');
    const ids = parsed.metricsKeys.flatMap((key) => this.channelIds(key, parsed.apiType));
    if (ids.length === 0) return { requests: 0, circuits: 0, circuitEvents: 0 };
    const removed = await this.removeChannels(ids);
    this.events.emit({ type: 'data', reason: 'channels-deleted' });
    return removed;
  }

  /** Resolves once no deletion is under way. */
  async deletionsIdle(): Promise<void> {
    while (this.deleting.size > 0) await Promise.allSettled([...this.deleting.values()]);
  }

  private removeModel(modelId: number): Promise<Omit<ModelDeleteResult, 'model'>> {
    const subject: RemovalSubject = { column: 'model_id', ids: [modelId] };
    return this.once(subject, (ledger) => {
      // A re-pricing of the model under way stops at its next slice (its caller is told the model went).
      ledger.pendingRepricing.drop(modelId);
    }, (ledger) => {
      const removed = ledger.maintenance.deleteModel(modelId);
      // The name's cached id is gone with the row.
      ledger.ctx.models.forget();
      ledger.ctx.prices.reload();
      return removed;
    });
  }

  private removeChannels(channelIds: number[]): Promise<ChannelsDeleteResult> {
    const subject: RemovalSubject = { column: 'channel_id', ids: [...channelIds].sort((a, b) => a - b) };
    return this.once(subject, () => undefined, (ledger) => {
      const removed = ledger.maintenance.deleteChannels([...subject.ids]);
      ledger.ctx.channels.forget();
      return removed;
    });
  }

  /**
   * One deletion, once: asking again while it runs waits for the same one. It is stored as pending
   * with `first`, its usage removed in slices (removeInSlices), then what is left goes with `last`, in
   * one transaction that also ends the pending entry.
   */
  private once<T extends { requests: number }>(subject: RemovalSubject, first: (ledger: Ledger) => void, last: (ledger: Ledger) => T): Promise<T> {
    const key = `${subject.column}:${subject.ids.join(',')}`;
    const running = this.deleting.get(key);
    if (running) return running as Promise<T>;
    const { ledger } = this;
    const work = async (): Promise<T> => {
      ledger.write(() => {
        ledger.pendingDeletions.add(subject);
        first(ledger);
      });
      const sliced = await this.removeInSlices(subject);
      const removed = ledger.write(() => {
        ledger.pendingDeletions.remove(subject);
        return last(ledger);
      });
      return { ...removed, requests: sliced + removed.requests };
    };
    const started = work().finally(() => this.deleting.delete(key));
    this.deleting.set(key, started);
    return started;
  }

  /**
   * Removes the subject's usage a few minutes of raw rows (or an hour of rollups) per part, parts taken
   * until the slice's time is used, one transaction per slice: the server keeps answering while a model
   * of millions of requests goes. The totals add up after every slice. Returns the requests removed.
   */
  private async removeInSlices(subject: RemovalSubject): Promise<number> {
    const { ledger } = this;
    let removed = 0;
    const { ctx } = ledger;
    const task: Omit<TaskProgress, 'done' | 'total'> =
      subject.column === 'model_id'
        ? { task: 'delete-model', model: ctx.models.nameOf(subject.ids[0]!) }
        : { task: 'delete-channels', metricsKeys: [...new Set(subject.ids.flatMap((id) => ctx.channels.metricsKeyOf(id) ?? []))] };
    await inSlices(
      ledger.removal.partsOf(subject, RAW_PART_MS),
      this.sliceMs,
      (take) =>
        ledger.write(() => {
          removed += ledger.removal.removeParts(subject, taking(take));
        }),
      { between: () => ledger.ctx.betweenWrites(), progress: taskProgress((event) => this.events.emit(event), task) },
    );
    return removed;
  }

  async cleanup(input: CleanupBody): Promise<CleanupResult> {
    const { before } = parseInput(cleanupBodySchema, input, 'cleanup');
    if (before > this.now) throw new ApiError('bad_request', 'before is in the future: that would delete records that are still arriving', [{ field: 'before', reason: 'must not be in the future' }]);
    const progress = taskProgress((event) => this.events.emit(event), { task: 'cleanup' });
    const requests = await this.ledger.maintenance.deleteRawBefore(before, () => this.ledger.ctx.betweenWrites(), progress);
    recordCleanup(this.ledger, { at: this.now, trigger: 'manual', before, requests });
    this.events.emit({ type: 'data', reason: 'cleanup' });
    return { before, requests };
  }

  async previewCleanup(input: CleanupPreviewBody): Promise<CleanupPreview> {
    const parsed = parseInput(cleanupPreviewBodySchema, input, 'cleanup preview');
    const before = parsed.before ?? retentionCutoff(this.now, parsed.retentionDays!);
    return { before, requests: this.ledger.maintenance.countRawBefore(before) };
  }

  async getStorageInfo(): Promise<StorageInfo> {
    const facts = this.ledger.maintenance.storageFacts();
    const file = this.ledger.db.name;
    const walBytes = fileSize(`${file}-wal`);
    return {
      databaseBytes: facts.pageBytes + walBytes,
      walBytes,
      totalRequests: facts.totalRequests,
      oldestRawRequestAt: facts.oldestId === null ? null : tsOfId(facts.oldestId),
      newestRawRequestAt: facts.newestId === null ? null : tsOfId(facts.newestId),
      models: facts.models,
      channels: facts.channels,
      retentionDays: this.ledger.settings.get().retentionDays,
      lastCleanup: readLastCleanup(this.ledger),
    };
  }

  /** Channel ids of a metricsKey, in one api type or all of them. */
  private channelIds(metricsKey: string, apiType: string | undefined): number[] {
    return channelIdsOf(this.ledger.ctx, metricsKey, apiType);
  }
}
