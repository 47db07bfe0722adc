import { render } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TimeChartConfig } from '../../../../renderer/src/lib/charts/config.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';

// Chart.js cannot draw in jsdom: a stand-in records what the component asks of it.
const charts = vi.hoisted(() => [] as { config: TimeChartConfig; updates: number; destroyed: boolean }[]);
vi.mock('../../../../renderer/src/lib/charts/setup.js', () => {
  class FakeChart {
    record: { config: TimeChartConfig; updates: number; destroyed: boolean };
    constructor(_context: unknown, config: TimeChartConfig) {
      this.record = { config, updates: 0, destroyed: false };
      charts.push(this.record);
    }
    set data(value: TimeChartConfig['data']) {
      this.record.config = { ...this.record.config, data: value };
    }
    set options(value: TimeChartConfig['options']) {
      this.record.config = { ...this.record.config, options: value };
    }
    update() {
      this.record.updates += 1;
    }
    destroy() {
      this.record.destroyed = true;
    }
  }
  return { Chart: FakeChart, themeColors: () => ({ text: '#111', muted: '#555', grid: '#ddd' }), colorOf: () => '#123456' };
});

const { default: TimeChart } = await import('../../../../renderer/src/lib/charts/TimeChart.svelte');

const t0 = Date.UTC(2026, 0, 10, 8);
const series = [{ label: 'gpt-5-mini', color: '#2563eb', points: [{ x: t0, y: 1500 }] }];
const formatValue = (value: number) => `v${value}`;

type TickCallback = (value: number) => string;

describe('TimeChart', () => {
  beforeEach(() => {
    charts.length = 0;
    i18n.choice = 'en';
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue({} as CanvasRenderingContext2D);
  });
  afterEach(() => vi.restoreAllMocks());

  it('draws one dataset per series with formatted tooltips', () => {
    render(TimeChart, { series, label: 'Requests', formatValue });
    expect(charts).toHaveLength(1);
    const config = charts[0]!.config;
    expect(config.data.datasets.map((d) => [d.label, d.data])).toEqual([['gpt-5-mini', [{ x: t0, y: 1500 }]]]);
    const label = config.options?.plugins?.tooltip?.callbacks?.label as unknown as (item: { dataset: { label: string }; raw: { x: number; y: number } }) => string;
    expect(label({ dataset: { label: 'gpt-5-mini' }, raw: { x: t0, y: 1500 } })).toBe('gpt-5-mini: v1500');
  });

  it('redraws the same chart when the data or the language changes', async () => {
    const view = render(TimeChart, { series, label: 'Requests', formatValue });
    await view.rerender({ series: [{ ...series[0]!, points: [{ x: t0, y: 9 }] }], label: 'Requests', formatValue });
    expect(charts).toHaveLength(1);
    expect(charts[0]!.updates).toBe(1);
    expect(charts[0]!.config.data.datasets[0]!.data).toEqual([{ x: t0, y: 9 }]);

    const xTicks = () => (charts[0]!.config.options?.scales?.['x']?.ticks?.callback as unknown as TickCallback)(t0);
    const english = xTicks();
    i18n.choice = 'zh-CN';
    await tick();
    expect(charts[0]!.updates).toBe(2);
    expect(xTicks()).not.toBe(english);
  });

  it('destroys its chart on unmount', () => {
    const view = render(TimeChart, { series, label: 'Requests', formatValue });
    view.unmount();
    expect(charts[0]!.destroyed).toBe(true);
  });

  it('keeps the readable fallback and creates no chart where the canvas cannot draw', () => {
    vi.mocked(HTMLCanvasElement.prototype.getContext).mockReturnValue(null);
    const view = render(TimeChart, { series, label: 'Requests', formatValue });
    expect(charts).toHaveLength(0);
    expect(view.getByRole('figure', { name: 'Requests' }).textContent).toContain('gpt-5-mini: v1500');
  });
});
