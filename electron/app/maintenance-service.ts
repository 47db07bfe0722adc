import fs from 'node:fs';
import { ApiError } from '../../shared/errors.js';
import { channelsDeleteSchema } from '../../shared/schemas/circuit.js';
import { cleanupBodySchema, cleanupPreviewBodySchema, type CleanupBody, type CleanupPreviewBody } from '../../shared/schemas/queries.js';
import { modelNameSchema } from '../../shared/schemas/request-record.js';
import type { ChannelsDeleteResult, CleanupPreview, CleanupResult, ModelDeleteResult, StorageInfo } from '../../shared/types.js';
import { parseInput } from '../ledger/input/validation.js';
import { channelIdsOf } from '../ledger/reads/read-queries.js';
import { tsOfId } from '../ledger/store/request-ids.js';
import { DomainService } from './domain-service.js';
import { readLastCleanup, recordCleanup } from './last-cleanup.js';
import { retentionCutoff } from './retention.js';

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Deleting data (a model, channels, raw records before a date) and what the storage holds. */
export class MaintenanceService extends DomainService {
  async deleteModel(input: { model: string }): Promise<ModelDeleteResult> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const modelId = this.ledger.ctx.models.find(model);
    if (modelId === undefined) throw new ApiError('not_found', `no data for model "${model}"`);
    const ledger = this.ledger;
    const removed = ledger.write(() => ledger.maintenance.deleteModel(modelId));
    // The name's cached id is gone with the row.
    ledger.ctx.models.forget();
    ledger.ctx.prices.reload();
    this.events.emit({ type: 'data', reason: 'model-deleted' });
    return { model, ...removed };
  }

  async deleteChannels(input: { metricsKeys: string[]; apiType: string }): Promise<ChannelsDeleteResult> {
    const parsed = parseInput(channelsDeleteSchema, input, 'channel delete');
    const ids = parsed.metricsKeys.flatMap((key) => this.channelIds(key, parsed.apiType));
    if (ids.length === 0) return { requests: 0, circuits: 0, circuitEvents: 0 };
    const ledger = this.ledger;
    const removed = ledger.write(() => ledger.maintenance.deleteChannels(ids));
    ledger.ctx.channels.forget();
    this.events.emit({ type: 'data', reason: 'channels-deleted' });
    return removed;
  }

  async cleanup(input: CleanupBody): Promise<CleanupResult> {
    const { before } = parseInput(cleanupBodySchema, input, 'cleanup');
    if (before > this.now) throw new ApiError('bad_request', 'before is in the future: that would delete records that are still arriving', [{ field: 'before', reason: 'must not be in the future' }]);
    const requests = await this.ledger.maintenance.deleteRawBefore(before, yieldTurn);
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
