import type { AggregationOption, AggregationTemporality, InstrumentType, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';

type ExportResult = Parameters<Parameters<PushMetricExporter['export']>[1]>[0];

/** How the periodic exports went: what the Settings view shows next to the OTLP push. */
export interface ExportOutcome {
  lastExportAt: number | null;
  lastError: string | null;
}

/**
 * Wraps the OTLP exporter to note each export's outcome: the SDK exports on its own timer and would
 * otherwise only log a failure (a wrong URL, a refused API key) where the user never looks.
 */
export class ObservedExporter implements PushMetricExporter {
  readonly outcome: ExportOutcome = { lastExportAt: null, lastError: null };

  constructor(
    private readonly inner: PushMetricExporter & Required<Pick<PushMetricExporter, 'selectAggregation' | 'selectAggregationTemporality'>>,
    private readonly now: () => number,
  ) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      // ExportResultCode.SUCCESS is 0 (@opentelemetry/core, not a direct dependency).
      if (result.code === 0) {
        this.outcome.lastExportAt = this.now();
        this.outcome.lastError = null;
      } else {
        this.outcome.lastError = result.error?.message ?? 'the collector did not accept the export';
      }
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  // The OTLP exporter's choices (cumulative temporality, the default aggregations) stay its own.
  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this.inner.selectAggregationTemporality(type);
  }

  selectAggregation(type: InstrumentType): AggregationOption {
    return this.inner.selectAggregation(type);
  }
}
