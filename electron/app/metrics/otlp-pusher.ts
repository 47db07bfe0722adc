import type { Counter, Histogram } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { OtlpPushStatus } from '../../../shared/types.js';
import type { StoredSettings } from '../../ledger/store/settings-store.js';
import { ObservedExporter, type ExportOutcome } from './observed-exporter.js';
import type { RequestFeed, RequestSample } from './request-feed.js';

/** The OTLP part of the settings; a change of any of them restarts the pipeline. */
export interface OtlpConfig {
  url: string;
  headers: Record<string, string>;
  intervalMs: number;
}

type OtlpSettings = Pick<StoredSettings, 'otlpEnabled' | 'otlpUrl' | 'otlpIntervalSeconds'>;

/** The pipeline to run for these settings, or null when the push is off (or has no collector URL). */
export function otlpConfig(settings: OtlpSettings, headers: Readonly<Record<string, string>>): OtlpConfig | null {
  if (!settings.otlpEnabled || !settings.otlpUrl) return null;
  return { url: settings.otlpUrl, headers: { ...headers }, intervalMs: settings.otlpIntervalSeconds * 1000 };
}

// The GenAI semantic conventions' advised bucket boundaries.
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

/** How soon after a write the new requests are read: writes in between are read in the same batch. */
const DRAIN_DELAY_MS = 200;
/** The last export on stop or reconfiguration may not hold up closing the app for longer. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

interface Pipeline {
  config: OtlpConfig;
  outcome: ExportOutcome;
  provider: MeterProvider;
  tokens: Histogram;
  duration: Histogram;
  cost: Counter;
}

/**
 * Pushes the requests stored while it runs to an OpenTelemetry collector over OTLP/HTTP (JSON): the
 * GenAI client instruments `gen_ai.client.token.usage` and `gen_ai.client.operation.duration`, plus
 * `modelmeter.cost`. The SDK aggregates in memory and exports on its own interval; requests are read
 * from the ledger in batches after they committed (RequestFeed), so ingest never waits for it.
 */
export class OtlpPusher {
  private pipeline: Pipeline | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  /** Serialises reconfigurations: a settings change during a shutdown waits for it. */
  private changing: Promise<void> = Promise.resolve();

  constructor(
    private readonly feed: RequestFeed,
    private readonly version: string,
    private readonly log: (message: string) => void,
  ) {}

  get running(): boolean {
    return this.pipeline !== null;
  }

  /** Whether the push runs and how its exports went (since it last started with these settings). */
  get status(): OtlpPushStatus {
    return { running: this.pipeline !== null, lastExportAt: this.pipeline?.outcome.lastExportAt ?? null, lastError: this.pipeline?.outcome.lastError ?? null };
  }

  /** Starts, restarts or stops the push to match the settings. */
  apply(settings: OtlpSettings, headers: Readonly<Record<string, string>>): Promise<void> {
    const next = otlpConfig(settings, headers);
    this.changing = this.changing.then(async () => {
      if (this.pipeline && next && JSON.stringify(this.pipeline.config) === JSON.stringify(next)) return;
      await this.shutdown();
      if (next) this.pipeline = await this.build(next);
    });
    return this.changing;
  }

  /** New requests were stored: read them shortly, together with whatever follows. */
  notify(): void {
    if (!this.pipeline || this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.drain();
    }, DRAIN_DELAY_MS);
    this.drainTimer.unref();
  }

  /** Records what is left, exports it and stops. */
  stop(): Promise<void> {
    this.changing = this.changing.then(() => this.shutdown());
    return this.changing;
  }

  private async build(config: OtlpConfig): Promise<Pipeline> {
    // Loaded only when the push is switched on: the SDK and its exporter take ~200 ms to import, which
    // every start would otherwise pay before its first answer.
    const [{ OTLPMetricExporter }, { resourceFromAttributes }, { MeterProvider, PeriodicExportingMetricReader }] = await Promise.all([
      import('@opentelemetry/exporter-metrics-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-metrics'),
    ]);
    const exporter = new ObservedExporter(new OTLPMetricExporter({ url: config.url, headers: config.headers, timeoutMillis: Math.min(30_000, config.intervalMs) }), Date.now);
    const reader = new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: config.intervalMs,
      exportTimeoutMillis: Math.min(30_000, config.intervalMs),
    });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'modelmeter', 'service.version': this.version }),
      readers: [reader],
    });
    const meter = provider.getMeter('modelmeter', this.version);
    this.feed.start();
    return {
      config,
      outcome: exporter.outcome,
      provider,
      tokens: meter.createHistogram('gen_ai.client.token.usage', {
        description: 'Number of tokens used per request, by token type.',
        unit: '{token}',
        advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
      }),
      duration: meter.createHistogram('gen_ai.client.operation.duration', {
        description: 'Duration of a GenAI request, as reported with it.',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      cost: meter.createCounter('modelmeter.cost', { description: 'Cost of the priced requests, in the currency\'s main unit.', unit: '{currency}' }),
    };
  }

  private drain(): void {
    const pipeline = this.pipeline;
    if (!pipeline) return;
    try {
      for (const sample of this.feed.drain()) record(pipeline, sample);
    } catch (error) {
      this.log(`OTLP push: reading new requests failed: ${(error as Error).message}`);
    }
  }

  private async shutdown(): Promise<void> {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    const pipeline = this.pipeline;
    if (!pipeline) return;
    this.drain();
    // Shutting down exports what was recorded (a collector that is away fails it within the timeout);
    // the push counts as running until that last export is done.
    await pipeline.provider.shutdown({ timeoutMillis: SHUTDOWN_TIMEOUT_MS }).catch((error: unknown) => this.log(`OTLP push: the last export failed: ${(error as Error).message}`));
    this.pipeline = null;
  }
}

function record(pipeline: Pipeline, sample: RequestSample): void {
  const attributes: Record<string, string> = { 'gen_ai.request.model': sample.model };
  if (sample.provider) attributes['gen_ai.provider.name'] = sample.provider;
  pipeline.tokens.record(sample.inputTokens, { ...attributes, 'gen_ai.token.type': 'input' });
  pipeline.tokens.record(sample.outputTokens, { ...attributes, 'gen_ai.token.type': 'output' });
  // Cache types are ours (not in the conventions' enum): recorded only where the request had them.
  if (sample.cacheReadTokens > 0) pipeline.tokens.record(sample.cacheReadTokens, { ...attributes, 'gen_ai.token.type': 'cache_read' });
  if (sample.cacheWriteTokens > 0) pipeline.tokens.record(sample.cacheWriteTokens, { ...attributes, 'gen_ai.token.type': 'cache_write' });
  if (sample.latencyMs !== null) {
    const outcome = sample.success ? attributes : { ...attributes, 'error.type': sample.failureClass ?? '_OTHER' };
    pipeline.duration.record(sample.latencyMs / 1000, outcome);
  }
  if (sample.cost !== null && sample.currency !== null) pipeline.cost.add(sample.cost, { ...attributes, currency: sample.currency });
}
