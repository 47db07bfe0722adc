import type { Provider } from '@pydantic/genai-prices';
import { ApiError } from '../../shared/errors.js';
import { catalogueApplySchema, type CatalogueApplyInput } from '../../shared/schemas/catalogue.js';
import type { CatalogueRepricePreview, CatalogueRepriceResult, CatalogueStatus, CatalogueUpdateCheck, Money } from '../../shared/types.js';
import { parseInput } from '../ledger/input/validation.js';
import { CATALOGUE_PACKAGE, CATALOGUE_VERSION, CatalogueMatcher } from '../ledger/pricing/catalogue.js';
import { parseCatalogueData } from '../ledger/pricing/catalogue-data-check.js';
import { BUNDLED_CATALOGUE, CATALOGUE_DATA_MAX_BYTES, downloadedCatalogue, type CatalogueData } from '../ledger/pricing/catalogue-data.js';
import { diffCatalogues } from '../ledger/pricing/catalogue-diff.js';
import { pricePackage } from '../ledger/pricing/price-package.js';
import { allProviders } from '../ledger/pricing/catalogue-search.js';
import { CatalogueFile } from '../ledger/store/catalogue-file.js';
import { CatalogueRepricing, type CatalogueRepriceModel } from '../ledger/store/catalogue-repricing.js';
import { DomainService, type ServiceContext } from './domain-service.js';
import type { RepricingJobs } from './repricing-jobs.js';
import path from 'node:path';

/** The environment variable that points "check for newer prices" elsewhere (tests serve it on loopback). */
export const CATALOGUE_URL_ENV = 'MODELMETER_CATALOGUE_URL';
const DOWNLOAD_TIMEOUT_MS = 30_000;

export interface CatalogueUpdateOptions {
  /** Where a warning about the kept download goes (the host's log). */
  log?: (message: string) => void;
  /** The environment read for CATALOGUE_URL_ENV; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
}

function day(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

function nanosToMoney(nanos: Record<string, number>): Money {
  return Object.fromEntries(Object.entries(nanos).map(([currency, amount]) => [currency, amount / 1e9]));
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [currency, amount] of Object.entries(from)) into[currency] = (into[currency] ?? 0) + amount;
}

/**
 * Newer catalogue prices, only when the user asks: a download is checked and compared (nothing
 * changes), kept and used for new requests once confirmed, and stored requests are re-priced with it
 * only through a preview and a second confirmation. The confirmed download is kept next to the
 * database and loaded again at start; a kept file that cannot be read leaves the bundled data in use.
 */
export class CatalogueUpdateService extends DomainService {
  private readonly file: CatalogueFile | null;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly repricing: CatalogueRepricing;
  private warning: string | null = null;
  /** The last download checked, waiting for the user's confirmation. */
  private pending: { data: CatalogueData; url: string; fetchedAt: number } | null = null;

  constructor(
    context: ServiceContext,
    options: CatalogueUpdateOptions,
    /** The re-pricing in slices a price change uses too (PricingService's). */
    private readonly jobs: RepricingJobs,
  ) {
    super(context);
    this.env = options.env ?? process.env;
    const db = this.ledger.db;
    this.file = db.memory || db.readonly ? null : CatalogueFile.inFolder(path.dirname(db.name));
    this.repricing = new CatalogueRepricing(this.ledger.ctx, this.ledger.repricer);
    this.loadKept(options.log ?? (() => {}));
  }

  private loadKept(log: (message: string) => void): void {
    if (this.file === null || this.ledger.ctx.catalogue === null) return;
    try {
      const kept = this.file.load();
      if (kept !== null) this.use(kept.data);
    } catch (error) {
      this.warning = `the kept price catalogue ${this.file.file} could not be read (${(error as Error).message}); the bundled catalogue ${CATALOGUE_PACKAGE}@${CATALOGUE_VERSION} prices new requests`;
      log(`warning: ${this.warning}`);
    }
  }

  private use(data: CatalogueData): void {
    // A matcher per data set: request writers notice the new one and drop their cached matches.
    if (this.ledger.ctx.catalogue !== null) this.ledger.ctx.catalogue = new CatalogueMatcher(data);
  }

  private get active(): CatalogueData {
    return this.ledger.ctx.catalogue?.data ?? BUNDLED_CATALOGUE;
  }

  private get url(): string {
    return this.env[CATALOGUE_URL_ENV]?.trim() || pricePackage().REMOTE_DATA_JSON_URL;
  }

  async getCatalogueStatus(): Promise<CatalogueStatus> {
    const active = this.active;
    const pricedBy = this.repricing.pricedBy();
    return {
      package: CATALOGUE_PACKAGE,
      bundledVersion: CATALOGUE_VERSION,
      active: { kind: active.kind, version: active.version, date: active.date },
      warning: this.warning,
      url: this.url,
      pricedBy,
      otherVersion: pricedBy.filter((entry) => entry.version !== active.version).reduce((sum, entry) => sum + entry.requests, 0),
    };
  }

  /** Downloads the published data file and says what it would change; nothing is used yet. */
  async checkCatalogueUpdate(): Promise<CatalogueUpdateCheck> {
    const url = this.url;
    const fetchedAt = this.now;
    const { text, lastModified } = await download(url);
    let providers: Provider[];
    try {
      providers = parseCatalogueData(text);
    } catch (error) {
      // The server's answer is at fault, not the caller's request.
      if (error instanceof ApiError) throw new ApiError('bad_gateway', `${error.message} (from ${url}; the current prices stay in use)`, error.details);
      throw error;
    }
    const modified = lastModified === null ? Number.NaN : Date.parse(lastModified);
    const data = downloadedCatalogue(providers, text, day(Number.isFinite(modified) ? modified : fetchedAt));
    this.pending = { data, url, fetchedAt };
    const current = this.active.providers ?? allProviders();
    return {
      url,
      candidate: { version: data.version, date: data.date!, providers: providers.length, models: countModels(providers) },
      current: { version: this.active.version },
      ...diffCatalogues(current, providers, this.now),
    };
  }

  /** Keeps the checked download and prices new requests with it; stored requests keep their costs. */
  async applyCatalogueUpdate(input: CatalogueApplyInput): Promise<CatalogueStatus> {
    const { version } = parseInput(catalogueApplySchema, input, 'catalogue update');
    const pending = this.pending;
    if (pending === null || pending.data.version !== version) {
      throw new ApiError('conflict', `no checked catalogue download with version "${version}": check for newer prices first, then apply the version it answered`, [
        { field: 'version', reason: 'not the checked download' },
      ]);
    }
    // Written before it is used: a data folder that cannot take the file leaves everything as it was.
    this.file?.save(pending);
    this.use(pending.data);
    this.pending = null;
    this.warning = null;
    return this.getCatalogueStatus();
  }

  /** Goes back to the bundled data for new requests and forgets the kept download. */
  async resetCatalogue(): Promise<CatalogueStatus> {
    this.file?.remove();
    this.use(BUNDLED_CATALOGUE);
    this.warning = null;
    return this.getCatalogueStatus();
  }

  /** What re-pricing the stored catalogue-priced requests with the active data would do; writes nothing. */
  async previewCatalogueReprice(): Promise<CatalogueRepricePreview> {
    // Model by model, a slice at a time with the event loop turning between (8.9 s of one transaction at 10M otherwise).
    const previewed: CatalogueRepriceModel[] = [];
    for (const { modelId, from, to } of this.repricing.windows()) {
      let total: CatalogueRepriceModel | null = null;
      await this.jobs.sliced(
        this.jobs.partsOf(modelId, from, to),
        (take) => {
          const slice = this.repricing.previewSlice(modelId, take, from, to);
          total = total === null ? slice : addModel(total, slice);
        },
        false,
        this.jobs.progressOf('reprice-preview', modelId),
      );
      if (total !== null) previewed.push(total);
    }
    const models = previewed.filter(changes);
    const before: Record<string, number> = {};
    const after: Record<string, number> = {};
    let unpricedBefore = 0;
    let unpricedAfter = 0;
    for (const model of models) {
      addInto(before, model.before);
      addInto(after, model.after);
      unpricedBefore += model.unpricedBefore;
      unpricedAfter += model.unpricedAfter;
    }
    return {
      version: this.active.version,
      affectedRequests: models.reduce((sum, model) => sum + model.changed, 0),
      models: models.map((model) => ({
        model: model.model,
        requests: model.changed,
        before: { cost: nanosToMoney(model.before), unpricedRequests: model.unpricedBefore },
        after: { cost: nanosToMoney(model.after), unpricedRequests: model.unpricedAfter },
      })),
      before: { cost: nanosToMoney(before), unpricedRequests: unpricedBefore },
      after: { cost: nanosToMoney(after), unpricedRequests: unpricedAfter },
    };
  }

  /**
   * Re-prices the stored catalogue-priced requests with the active data (after its preview): the
   * windows are stored as pending at once, then re-priced in slices (RepricingJobs), so the server
   * keeps answering meanwhile and a stop leaves the rest for the next start.
   */
  async repriceCatalogue(): Promise<CatalogueRepriceResult> {
    const ledger = this.ledger;
    const windows = this.repricing.windows();
    ledger.write(() => {
      for (const { modelId, from, to } of windows) ledger.pendingRepricing.add(modelId, from, to);
    });
    const outcomes = await Promise.all(windows.map(({ modelId }) => this.jobs.run(modelId).then((outcome) => this.repricing.named(modelId, outcome))));
    const models = outcomes.filter(changes);
    for (const model of models) this.events.emit({ type: 'pricing', model: model.model });
    return { version: this.active.version, repricedRequests: models.reduce((sum, model) => sum + model.changed, 0), models: models.map((model) => model.model) };
  }
}

/** Two slices' previews of one model, as one. */
function addModel(a: CatalogueRepriceModel, b: CatalogueRepriceModel): CatalogueRepriceModel {
  const sum = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [key, value] of Object.entries(y)) out[key] = (out[key] ?? 0) + value;
    return out;
  };
  return {
    model: a.model,
    affected: a.affected + b.affected,
    changed: a.changed + b.changed,
    before: sum(a.before, b.before),
    after: sum(a.after, b.after),
    unpricedBefore: a.unpricedBefore + b.unpricedBefore,
    unpricedAfter: a.unpricedAfter + b.unpricedAfter,
  };
}

function changes(model: CatalogueRepriceModel): boolean {
  return model.changed > 0;
}

function countModels(providers: readonly Provider[]): number {
  return providers.reduce((sum, provider) => sum + provider.models.length, 0);
}

async function download(url: string): Promise<{ text: string; lastModified: string | null }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), redirect: 'follow' });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new ApiError('bad_gateway', `could not download the price catalogue from ${url}: ${cause} (the current prices stay in use)`);
  }
  if (!response.ok) {
    throw new ApiError('bad_gateway', `could not download the price catalogue from ${url}: HTTP ${response.status} (the current prices stay in use)`);
  }
  const tooLarge = () => new ApiError('bad_gateway', `the price catalogue at ${url} is larger than ${CATALOGUE_DATA_MAX_BYTES} bytes (the current prices stay in use)`);
  if (Number(response.headers.get('content-length') ?? 0) > CATALOGUE_DATA_MAX_BYTES) throw tooLarge();
  // Read with a cap: a server that sends without end is cut off, not held in memory.
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body !== null) {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > CATALOGUE_DATA_MAX_BYTES) {
        await response.body.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), lastModified: response.headers.get('last-modified') };
}
