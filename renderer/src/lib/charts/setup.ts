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

/**
 * Colours of the theme for the canvas. The variables hold light-dark() pairs, which a canvas cannot
 * read, so each is resolved through a hidden probe element's computed colour.
 */
export function themeColors(element: Element = document.body): { text: string; muted: string; grid: string } {
  const probe = document.createElement('span');
  probe.hidden = true;
  element.append(probe);
  const resolve = (variable: string, fallback: string): string => {
    probe.style.color = '';
    probe.style.color = `var(${variable})`;
    return getComputedStyle(probe).color || fallback;
  };
  try {
    return { text: resolve('--text', '#222'), muted: resolve('--muted', '#666'), grid: resolve('--border', '#ddd') };
  } finally {
    probe.remove();
  }
}

/**
 * A stable palette: the same model keeps its colour across charts and reloads. Nine hues at least
 * 29 degrees apart (no two browns, no teal next to cyan); grey is kept for "other models".
 */
export const PALETTE = ['#dc2626', '#d97706', '#65a30d', '#16a34a', '#0891b2', '#2563eb', '#7c3aed', '#c026d3', '#db2777'] as const;

export function colorOf(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}
