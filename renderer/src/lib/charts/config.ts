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
  return {
    type: options.kind,
    data: {
      datasets: options.series.map((series) => ({
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
      })),
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
          grid: { color: colors.grid, display: false },
          border: { color: colors.grid },
          ticks: {
            color: colors.muted,
            maxRotation: 0,
            autoSkip: true,
            autoSkipPadding: 16,
            callback: (value) => options.formatTick(Number(value)),
          },
        },
        y: {
          beginAtZero: true,
          stacked: options.stacked,
          grid: { color: colors.grid },
          border: { display: false },
          ticks: { color: colors.muted, maxTicksLimit: 6, callback: (value) => formatValue(Number(value)) },
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
            title: (items: TooltipItem<TimeChartKind>[]) => (items[0] ? options.formatTooltipTime((items[0].raw as Point).x) : ''),
            label: (item: TooltipItem<TimeChartKind>) => `${item.dataset.label ?? ''}: ${formatValue((item.raw as Point).y)}`,
          },
        },
      },
    },
  };
}
