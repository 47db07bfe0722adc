import type { OtlpPushStatus } from '../../../shared/types.js';
import type { OtlpHeaderVault } from '../../sources/secrets/otlp-headers.js';
import { DomainService, type ServiceContext } from '../domain-service.js';
import { OtlpPusher } from './otlp-pusher.js';
import type { PrometheusMetrics } from './prometheus-registry.js';
import { RequestFeed } from './request-feed.js';
import { readSnapshot, type MetricsReads } from './snapshot.js';

export interface MetricsExposition {
  contentType: string;
  body: string;
}

/**
 * The ledger's figures for the monitoring tools people already run: the Prometheus exposition of the
 * all-time totals (pulled by a scraper) and the OTLP push of new requests (off by default). The HTTP
 * host serves the one and starts and stops the other with itself.
 */
export class MetricsService extends DomainService {
  /**
   * Made at the first scrape: prom-client costs the main thread ~28 ms and ~1 MB of heap at start, and
   * most users never point a scraper at /metrics (as the OTLP push loads its SDK when switched on).
   */
  private prometheus: Promise<PrometheusMetrics> | null = null;
  private otlp: OtlpPusher | null = null;
  private unsubscribe: (() => void) | null = null;
  /** One scrape at a time: the registry holds the snapshot of the scrape in progress. */
  private scrapes: Promise<unknown> = Promise.resolve();

  constructor(
    context: ServiceContext,
    private readonly reads: MetricsReads,
    private readonly otlpHeaders: OtlpHeaderVault,
  ) {
    super(context);
  }

  /** The Prometheus text exposition of the ledger's all-time totals (equal to the all-time summary). */
  scrape(): Promise<MetricsExposition> {
    const next = this.scrapes.then(async () => {
      this.prometheus ??= import('./prometheus-registry.js').then((module) => new module.PrometheusMetrics());
      const prometheus = await this.prometheus;
      const snapshot = await readSnapshot(this.reads, this.ledger.settings.get().metricsMaxModels);
      return { contentType: prometheus.contentType, body: await prometheus.render(snapshot) };
    });
    this.scrapes = next.catch(() => {});
    return next;
  }

  /** Whether a loopback scraper may read /metrics without the token (the user's choice). */
  get anonymousLoopback(): boolean {
    return this.ledger.settings.get().metricsAllowAnonymousLoopback;
  }

  /** Whether the OTLP push runs now. */
  get pushing(): boolean {
    return this.otlp?.running ?? false;
  }

  /** The OTLP push's state for the settings answers. */
  get otlpStatus(): OtlpPushStatus {
    return this.otlp?.status ?? { running: false, lastExportAt: null, lastError: null };
  }

  /** Starts the OTLP push when the settings ask for it, and follows their changes until stop(). */
  async start(version: string, log: (message: string) => void): Promise<void> {
    if (this.otlp) return;
    const otlp = new OtlpPusher(new RequestFeed(this.ledger), version, log);
    this.otlp = otlp;
    this.unsubscribe = this.events.subscribe((event) => {
      if (event.type === 'requests') otlp.notify();
      else if (event.type === 'data' && event.reason === 'settings') void otlp.apply(this.ledger.settings.get(), this.otlpHeaders.get());
    });
    await otlp.apply(this.ledger.settings.get(), this.otlpHeaders.get());
  }

  /** Exports what is left and stops following; call before the ledger closes. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const otlp = this.otlp;
    this.otlp = null;
    await otlp?.stop();
  }
}
