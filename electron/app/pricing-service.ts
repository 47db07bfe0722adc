import { ApiError } from '../../shared/errors.js';
import { priceVersionInputSchema, pricingDeleteQuerySchema, type PriceVersionInput } from '../../shared/schemas/pricing.js';
import { modelNameSchema } from '../../shared/schemas/request-record.js';
import type { ModelPricing, PricingChange, PricingPreview } from '../../shared/types.js';
import { parseInput } from '../ledger/input/validation.js';
import { hourlyCostNanos, type CompiledVersion } from '../ledger/pricing/rules.js';
import type { VersionChange } from '../ledger/store/pricing-store.js';
import { withSources } from './catalogue-service.js';
import { DomainService, type ServiceContext } from './domain-service.js';
import { RepricingJobs, type RepricingJobsOptions } from './repricing-jobs.js';

function addHourly(into: Map<number, number>, versions: readonly CompiledVersion[], start: number, end: number): void {
  for (let i = 0; i < versions.length; i++) {
    const version = versions[i]!;
    if (version.method !== 'hourly') continue;
    const from = Math.max(start, version.effectiveFrom);
    const to = Math.min(end, versions[i + 1]?.effectiveFrom ?? Number.POSITIVE_INFINITY);
    if (to > from) into.set(version.currencyId, (into.get(version.currencyId) ?? 0) + hourlyCostNanos(version.hourlyNanos, to - from));
  }
}

/** Price versions per model: listed, added, previewed and deleted, with stored costs repriced. */
export class PricingService extends DomainService {
  /** Re-prices a change's window in slices after the change is stored (see RepricingJobs). */
  readonly repricing: RepricingJobs;

  constructor(context: ServiceContext, options: RepricingJobsOptions = {}) {
    super(context);
    this.repricing = new RepricingJobs(this.ledger, options, (event) => this.events.emit(event));
    // A re-pricing a stop cut short is finished first (nothing to do on almost every start).
    const pending = this.ledger.pendingRepricing.list().map((job) => this.ledger.ctx.models.nameOf(job.modelId));
    if (pending.length > 0) void this.repricing.resume().then(() => pending.forEach((model) => this.events.emit({ type: 'pricing', model })));
  }

  async listPricing(): Promise<ModelPricing[]> {
    return withSources(this.ledger, this.ledger.pricing.list(), this.now);
  }

  async getPricing(input: { model: string }): Promise<ModelPricing> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const modelId = this.ledger.ctx.models.find(model);
    if (modelId === undefined) return { model, versions: [] };
    return this.described(modelId);
  }

  /** One model's versions with where its prices come from (yours, else the catalogue entry). */
  private described(modelId: number): ModelPricing {
    const pricing = this.ledger.pricing.describe(modelId);
    return withSources(this.ledger, [pricing], this.now).find((entry) => entry.model === pricing.model) ?? pricing;
  }

  async addPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingChange> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const body = parseInput(priceVersionInputSchema, input.version, 'price version');
    const ledger = this.ledger;
    const modelId = ledger.write(() => {
      const id = ledger.ctx.models.ensure(model);
      const change = ledger.pricing.planAdd(id, body, ledger.ctx.currencies.ensure(body.currency));
      ledger.pricing.store(change, body);
      ledger.pendingRepricing.add(id, change.window.from, change.window.to);
      return id;
    });
    return this.repriced(model, modelId);
  }

  /** Waits for the change's re-pricing; the answer of a price added or deleted. */
  private async repriced(model: string, modelId: number): Promise<PricingChange> {
    const result = await this.repricing.run(modelId);
    // Deleted meanwhile (its pending re-pricing went with it): there is no price left to describe.
    if (this.ledger.ctx.models.find(model) !== modelId) throw new ApiError('conflict', `model "${model}" was deleted while its requests were being re-priced`);
    this.events.emit({ type: 'pricing', model });
    return { pricing: this.described(modelId), repricedRequests: result.affected, notRepriced: result.notRepriced };
  }

  async previewPriceVersion(input: { model: string; version: PriceVersionInput }): Promise<PricingPreview> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const body = parseInput(priceVersionInputSchema, input.version, 'price version');
    const ctx = this.ledger.ctx;
    // A model never seen has no versions and no requests: the same plan answers "nothing changes".
    const modelId = ctx.models.find(model) ?? -1;
    // Nothing may be written by a preview, not even a new currency code: it gets a placeholder id.
    const currencyId = ctx.currencies.find(body.currency) ?? -1;
    const change = this.ledger.pricing.planAdd(modelId, body, currencyId);
    const outcome = await this.repricing.preview(change.modelId, change.versions, change.window.from, change.window.to);
    const runtime = this.hourlyDelta(change);
    const money = (map: Map<number, number>, extra: Map<number, number>) => {
      const merged = new Map(map);
      for (const [id, nanos] of extra) merged.set(id, (merged.get(id) ?? 0) + nanos);
      const out: Record<string, number> = {};
      for (const [id, nanos] of merged) out[id === -1 ? body.currency : ctx.currencies.nameOf(id)] = nanos / 1e9;
      return out;
    };
    return {
      model,
      version: {
        model,
        effectiveFrom: change.window.from,
        effectiveTo: Number.isFinite(change.window.to) ? change.window.to : null,
        currency: body.currency,
        method: body.method,
        tiers: body.tiers ?? null,
        hourly: body.hourly ?? null,
      },
      affectedRequests: outcome.affected,
      before: { cost: money(outcome.before, runtime.before), unpricedRequests: outcome.unpricedBefore },
      after: { cost: money(outcome.after, runtime.after), unpricedRequests: outcome.unpricedAfter },
      notRepriced: outcome.notRepriced,
    };
  }

  async deletePricing(input: { model: string; effectiveFrom?: number | string }): Promise<PricingChange> {
    const model = parseInput(modelNameSchema, input.model, 'model name');
    const query = parseInput(pricingDeleteQuerySchema, input.effectiveFrom === undefined ? {} : { effectiveFrom: input.effectiveFrom }, 'pricing delete');
    const ledger = this.ledger;
    const modelId = ledger.ctx.models.find(model);
    const change = modelId === undefined ? null : ledger.pricing.planDelete(modelId, query.effectiveFrom);
    if (modelId === undefined || change === null) {
      throw new ApiError(
        'not_found',
        query.effectiveFrom === undefined ? `model "${model}" has no price` : `model "${model}" has no price version from ${new Date(query.effectiveFrom).toISOString()}`,
      );
    }
    ledger.write(() => {
      ledger.pricing.store(change, null);
      ledger.pendingRepricing.add(modelId, change.window.from, change.window.to);
    });
    return this.repriced(model, modelId);
  }

  /** Hourly runtime cost in a change's window, under the old and the new versions. */
  private hourlyDelta(change: VersionChange): { before: Map<number, number>; after: Map<number, number> } {
    const now = this.now;
    const to = Math.min(change.window.to, now);
    const before = new Map<number, number>();
    const after = new Map<number, number>();
    if (to <= change.window.from) return { before, after };
    const current = this.ledger.ctx.prices.versions(change.modelId);
    for (const span of this.ledger.runs.spans(change.window.from, to, change.modelId)) {
      const start = Math.max(span.start, change.window.from);
      const end = Math.min(span.end ?? now, to);
      addHourly(before, current, start, end);
      addHourly(after, change.versions, start, end);
    }
    return { before, after };
  }
}
