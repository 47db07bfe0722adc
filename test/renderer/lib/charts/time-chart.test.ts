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
/** The first chart's time-axis label at t0, in the language it was configured in. */
const xTicks = () => (charts[0]!.config.options?.scales?.['x']?.ticks?.callback as unknown as TickCallback)(t0);

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

    const english = xTicks();
    i18n.choice = 'zh-CN';
    await tick();
    expect(charts[0]!.updates).toBe(2);
    expect(xTicks()).not.toBe(english);
  });

  it('redraws a chart scrolled out of view only when it comes back, with the newest data', async () => {
    // jsdom has no IntersectionObserver: a stand-in the test scrolls.
    const observers: { callback: (entries: { isIntersecting: boolean }[]) => void; disconnected: boolean }[] = [];
    vi.stubGlobal(
      'IntersectionObserver',
      class {
        record: (typeof observers)[number];
        constructor(callback: (entries: { isIntersecting: boolean }[]) => void) {
          this.record = { callback, disconnected: false };
          observers.push(this.record);
        }
        observe() {}
        disconnect() {
          this.record.disconnected = true;
        }
      },
    );
    try {
      const view = render(TimeChart, { series, label: 'Requests', formatValue });
      await tick();
      const scroll = (isIntersecting: boolean) => observers.at(-1)!.callback([{ isIntersecting }]);
      scroll(false);
      for (const y of [2, 3, 4]) await view.rerender({ series: [{ ...series[0]!, points: [{ x: t0, y }] }], label: 'Requests', formatValue });
      expect(charts[0]!.updates).toBe(0);
      scroll(true);
      expect(charts[0]!.updates).toBe(1);
      expect(charts[0]!.config.data.datasets[0]!.data).toEqual([{ x: t0, y: 4 }]);
      // In view, each change is drawn at once; coming into view with nothing new draws nothing.
      await view.rerender({ series: [{ ...series[0]!, points: [{ x: t0, y: 5 }] }], label: 'Requests', formatValue });
      expect(charts[0]!.updates).toBe(2);
      scroll(false);
      scroll(true);
      expect(charts[0]!.updates).toBe(2);
      view.unmount();
      expect(observers.every((observer) => observer.disconnected)).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('out of view, still draws a new language at once, and everything waiting before the page is printed', async () => {
    const observers: ((entries: { isIntersecting: boolean }[]) => void)[] = [];
    vi.stubGlobal(
      'IntersectionObserver',
      class {
        constructor(callback: (entries: { isIntersecting: boolean }[]) => void) {
          observers.push(callback);
        }
        observe() {}
        disconnect() {}
      },
    );
    try {
      const view = render(TimeChart, { series, label: 'Requests', formatValue });
      await tick();
      observers.at(-1)!([{ isIntersecting: false }]);
      const english = xTicks();
      i18n.choice = 'zh-CN';
      await tick();
      expect(charts[0]!.updates).toBe(1);
      expect(xTicks()).not.toBe(english);

      await view.rerender({ series: [{ ...series[0]!, points: [{ x: t0, y: 7 }] }], label: 'Requests', formatValue });
      expect(charts[0]!.updates).toBe(1);
      globalThis.dispatchEvent(new Event('beforeprint'));
      expect(charts[0]!.updates).toBe(2);
      expect(charts[0]!.config.data.datasets[0]!.data).toEqual([{ x: t0, y: 7 }]);
      view.unmount();
    } finally {
      vi.unstubAllGlobals();
    }
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

  it('labels a two-day range with each date once, on whole days', () => {
    const from = new Date(2026, 0, 9, 0, 0).getTime();
    const to = new Date(2026, 0, 11, 0, 0).getTime();
    render(TimeChart, { series, label: 'Requests', formatValue, from, to });
    const x = charts[0]!.config.options?.scales?.['x'] as { time?: { unit?: string }; ticks?: { callback?: unknown; stepSize?: number } };
    expect([x.time?.unit, x.ticks?.stepSize]).toEqual(['day', 1]);
    // Were ticks 12 hours apart, the second of each day would repeat the date: it is left blank.
    const callback = x.ticks!.callback as (value: number, index: number, ticks: { value: number }[]) => string;
    const ticks = [from, from + 12 * 3_600_000, from + 24 * 3_600_000].map((value) => ({ value }));
    const labels = ticks.map((entry, index) => callback(entry.value, index, ticks));
    expect(labels[1]).toBe('');
    expect(new Set(labels.filter(Boolean)).size).toBe(2);
  });

  it('puts the ticks of a day on whole hours, never every 59 minutes', () => {
    const from = new Date(2026, 0, 10, 0, 0).getTime();
    render(TimeChart, { series, label: 'Requests', formatValue, from, to: from + 13 * 3_600_000 + 7 * 60_000 });
    const x = charts[0]!.config.options?.scales?.['x'] as { time?: { unit?: string }; ticks?: { stepSize?: number } };
    expect([x.time?.unit, x.ticks?.stepSize]).toEqual(['hour', 2]);
  });

  it('counts in whole numbers, with units on both axes', () => {
    render(TimeChart, { series, label: 'Requests', formatValue, unit: 'Requests', integer: true });
    const scales = charts[0]!.config.options?.scales as Record<string, { title?: { display?: boolean; text?: string }; ticks?: { precision?: number } }>;
    expect(scales['y']!.ticks!.precision).toBe(0);
    expect(scales['y']!.title).toMatchObject({ display: true, text: 'Requests' });
    expect(scales['x']!.title).toMatchObject({ display: true, text: 'Local time' });
  });

  it('names the bucket’s span and the bucket’s total in a tooltip', () => {
    const two = [series[0]!, { label: 'qwen3', color: '#16a34a', points: [{ x: t0, y: 500 }] }];
    render(TimeChart, { series: two, label: 'Requests', formatValue, bucketMs: 3_600_000 });
    const callbacks = charts[0]!.config.options?.plugins?.tooltip?.callbacks as unknown as {
      title: (items: { raw: { x: number; y: number } }[]) => string;
      footer: (items: { raw: { x: number; y: number } }[]) => string;
    };
    const items = [{ raw: { x: t0, y: 1500 } }, { raw: { x: t0, y: 500 } }];
    const start = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit' });
    expect(callbacks.title(items)).toContain(`${start.format(t0)} – ${start.format(t0 + 3_600_000)}`);
    expect(callbacks.footer(items)).toBe('Total: v2000');
  });
});
