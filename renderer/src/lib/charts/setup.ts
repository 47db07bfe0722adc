import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  TimeScale,
  Tooltip,
} from 'chart.js';
import 'chartjs-adapter-date-fns';

// Register only what the views draw, once, so the bundle stays small (tree-shaken Chart.js).
Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, TimeScale, Tooltip, Legend, Filler);

export { Chart };

/** Colours of the theme, read from the CSS variables so charts follow light and dark. */
export function themeColors(element: Element = document.documentElement): { text: string; muted: string; grid: string } {
  const style = getComputedStyle(element);
  return {
    text: style.getPropertyValue('--text').trim() || '#222',
    muted: style.getPropertyValue('--muted').trim() || '#666',
    grid: style.getPropertyValue('--border').trim() || '#ddd',
  };
}

/** A stable palette: the same model keeps its colour across charts and reloads. */
const PALETTE = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#db2777', '#ca8a04', '#a16207', '#64748b', '#dc2626'];

export function colorOf(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}
