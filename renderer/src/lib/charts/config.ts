import type { ChartConfiguration, TooltipItem } from 'chart.js';
import type { ChartSeries } from './series.js';

export type TimeChartKind = 'bar' | 'line';

export interface TimeChartOptions {
  series: ChartSeries[];
  kind: TimeChartKind;
  stacked: boolean;
  /** Values on the axis and in tooltips (compact numbers, money). */
  formatValue: (value: number) => string;
  /** Times on the axis; tooltips use `formatTooltipTime`. */
  formatTick: (ts: number) => string;
  formatTooltipTime: (ts: number) => string;
  colors: { text: string; muted: string; grid: string };
  from?: number | undefined;
  to?: number | undefined;
  showLegend: boolean;
  /** Title of the value axis: what is counted and in which unit ("Requests", "Tokens", "USD"). */
  unit?: string | undefined;
  /** Title of the time axis ("Local time"). */
  timeTitle?: string | undefined;
  /** Whole numbers only on the value axis (counts: no 0.5 requests). */
  integer?: boolean | undefined;
  /** Width of a bucket: tooltips then name the bucket's span (`formatSpan`), not only its start. */
  bucketMs?: number | undefined;
  formatSpan?: ((start: number, end: number) => string) | undefined;
  /** The footer of a tooltip with several series: the bucket's total, formatted. */
  formatTotal?: ((total: string) => string) | undefined;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Steps a time axis may take, smallest first: whole hours or whole days, never 59 minutes. */
const STEPS: { unit: 'minute' | 'hour' | 'day'; size: number; ms: number }[] = [
  { unit: 'minute', size: 5, ms: 5 * 60_000 },
  { unit: 'minute', size: 10, ms: 10 * 60_000 },
  { unit: 'minute', size: 15, ms: 15 * 60_000 },
  { unit: 'minute', size: 30, ms: 30 * 60_000 },
  { unit: 'hour', size: 1, ms: HOUR },
  { unit: 'hour', size: 2, ms: 2 * HOUR },
  { unit: 'hour', size: 3, ms: 3 * HOUR },
  { unit: 'hour', size: 6, ms: 6 * HOUR },
  { unit: 'hour', size: 12, ms: 12 * HOUR },
  { unit: 'day', size: 1, ms: DAY },
  { unit: 'day', size: 2, ms: 2 * DAY },
  { unit: 'day', size: 7, ms: 7 * DAY },
];

/** The smallest round step that puts at most `maxTicks` ticks on a span; past 36 h, whole days only. */
export function timeStep(spanMs: number, maxTicks = 8): { unit: 'minute' | 'hour' | 'day'; size: number } {
  const allowed = spanMs > 36 * HOUR ? STEPS.filter((step) => step.unit === 'day') : STEPS;
  const step = allowed.find((candidate) => spanMs / candidate.ms <= maxTicks) ?? allowed.at(-1)!;
  return { unit: step.unit, size: step.size };
}

type Point = { x: number; y: number };
export type TimeChartConfig = ChartConfiguration<TimeChartKind, Point[]>;

/**
 * The whole Chart.js configuration from plain inputs, so a redraw (new data, language or theme) is
 * "build again and update", and the mapping can be checked without a canvas.
 */
export function buildTimeChartConfig(options: TimeChartOptions): TimeChartConfig {
  const { colors, formatValue } = options;
  const line = options.kind === 'line';
  const xs = options.series.flatMap((series) => series.points.map((point) => point.x));
  const spanMs = options.from !== undefined && options.to !== undefined ? options.to - options.from : xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
  const step = timeStep(spanMs);
  const axisTitle = (text: string | undefined) => ({ display: text !== undefined, text: text ?? '', color: colors.muted, font: { size: 11 } });
  return {
    type: options.kind,
    data: {
      datasets: options.series.map((series) =>
        series.projection
          ? {
              // A line even on a bar chart, in a stack of its own, so it never adds to the recorded bars.
              type: 'line' as const,
              label: series.label,
              data: series.points,
              backgroundColor: series.color,
              borderColor: series.color,
              borderWidth: 2,
              borderDash: [6, 4],
              // Dashes carry the line; a lone point (the month's last day) needs a dot to be seen.
              pointRadius: series.points.length === 1 ? 3 : 0,
              pointHitRadius: 6,
              fill: false,
              tension: 0,
              stack: 'projection',
            }
          : {
              label: series.label,
              data: series.points,
              backgroundColor: line ? `${series.color}33` : series.color,
              borderColor: series.color,
              borderWidth: line ? 2 : 0,
              pointRadius: 0,
              pointHitRadius: 6,
              fill: line && options.stacked,
              tension: 0.25,
              stack: options.stacked ? 'all' : series.label,
            },
      ),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          type: 'time',
          min: options.from,
          max: options.to,
          offset: !line,
          stacked: options.stacked,
          time: { unit: step.unit },
          title: axisTitle(options.timeTitle),
          grid: { color: colors.grid, display: false },
          border: { color: colors.grid },
          ticks: {
            color: colors.muted,
            maxRotation: 0,
            autoSkip: true,
            autoSkipPadding: 16,
            stepSize: step.size,
            // A label equal to the one before it (two ticks on one date) is left blank.
            callback: (value, index, ticks) => {
              const text = options.formatTick(Number(value));
              const before = index > 0 ? ticks[index - 1] : undefined;
              return before !== undefined && options.formatTick(Number(before.value)) === text ? '' : text;
            },
          },
        },
        y: {
          beginAtZero: true,
          stacked: options.stacked,
          title: axisTitle(options.unit),
          grid: { color: colors.grid },
          border: { display: false },
          ticks: {
            color: colors.muted,
            maxTicksLimit: 6,
            ...(options.integer ? { precision: 0 } : {}),
            callback: (value) => formatValue(Number(value)),
          },
        },
      },
      plugins: {
        legend: {
          display: options.showLegend,
          position: 'bottom',
          labels: { color: colors.text, boxWidth: 10, boxHeight: 10, usePointStyle: false },
        },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<TimeChartKind>[]) => {
              if (!items[0]) return '';
              const start = (items[0].raw as Point).x;
              return options.bucketMs && options.formatSpan ? options.formatSpan(start, start + options.bucketMs) : options.formatTooltipTime(start);
            },
            label: (item: TooltipItem<TimeChartKind>) => `${item.dataset.label ?? ''}: ${formatValue((item.raw as Point).y)}`,
            // The total of what was recorded: a projection in the same bucket is not added to it.
            footer: (items: TooltipItem<TimeChartKind>[]) => {
              const recorded = items.filter((item) => !options.series[item.datasetIndex]?.projection);
              return options.formatTotal && recorded.length > 1 ? options.formatTotal(formatValue(recorded.reduce((sum, item) => sum + (item.raw as Point).y, 0))) : '';
            },
          },
        },
      },
    },
  };
}
