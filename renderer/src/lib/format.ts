import type { Language } from '../../../shared/app.js';
import type { Money } from '../../../shared/types.js';

/**
 * Numbers as people scan them in a dashboard: exact below 100K ("4,412 of 4,498" says something,
 * "4.4K of 4.5K" does not), then 123K / 3.4M in both languages (the product's style).
 */
const EXACT_BELOW = 100_000;
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

type Formatter = Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat;

/**
 * Intl formatters by kind, language and options, each made once: making one costs far more than
 * formatting with it, and a live dashboard formats thousands of axis labels and amounts a second.
 */
const formatters = new Map<string, Formatter>();

function cached<F extends Formatter>(kind: string, language: string, options: object, make: () => F): F {
  const key = `${kind}|${language}|${JSON.stringify(options)}`;
  let formatter = formatters.get(key) as F | undefined;
  if (formatter === undefined) {
    formatter = make();
    formatters.set(key, formatter);
  }
  return formatter;
}

export function numberFormat(language: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  return cached('number', language, options, () => new Intl.NumberFormat(language, options));
}

export function dateFormat(language: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached('date', language, options, () => new Intl.DateTimeFormat(language, options));
}

function relativeFormat(language: string, options: Intl.RelativeTimeFormatOptions): Intl.RelativeTimeFormat {
  return cached('relative', language, options, () => new Intl.RelativeTimeFormat(language, options));
}

export function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs < EXACT_BELOW) return grouped.format(value);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, unit] of units) {
    if (abs >= size) {
      const scaled = value / size;
      const digits = Math.abs(scaled) >= 100 ? 0 : 1;
      return `${Number(scaled.toFixed(digits))}${unit}`;
    }
  }
  return grouped.format(value);
}

export function integer(value: number, language: Language): string {
  return numberFormat(language).format(value);
}

/** Small amounts keep enough digits to be seen (a request often costs a fraction of a cent). */
export function money(amount: number, currency: string, language: Language): string {
  const abs = Math.abs(amount);
  const digits = abs === 0 ? 2 : abs < 0.01 ? 4 : abs < 1 ? 3 : 2;
  try {
    return numberFormat(language, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amount);
  } catch {
    return `${amount.toFixed(digits)} ${currency}`;
  }
}

/** Every currency of a total, biggest first; empty when nothing was spent. */
export function moneyList(total: Money | null | undefined, language: Language): string[] {
  if (!total) return [];
  return Object.entries(total)
    .sort((a, b) => b[1] - a[1])
    .map(([currency, amount]) => money(amount, currency, language));
}

/**
 * One decimal of percent; a share that is not exactly all or nothing never shows as 100 % or 0 %
 * (99.96 % reads 99.9 %, not a perfect record).
 */
export function percent(ratio: number | null, language: Language): string {
  if (ratio === null || !Number.isFinite(ratio)) return '–';
  const shown = ratio < 1 && ratio > 0.999 ? 0.999 : ratio > 0 && ratio < 0.001 ? 0.001 : ratio;
  return numberFormat(language, { style: 'percent', maximumFractionDigits: 1 }).format(shown);
}

/**
 * A duration as "3h 12m" / "3小时12分", to the second below a minute. Rounded to the nearest last unit
 * shown, not down, so rows add up to their total as closely as two units allow.
 */
export function duration(seconds: number, language: Language): string {
  const total = Math.max(0, Math.round(seconds));
  // The last unit shown: seconds below an hour, minutes below a day, hours beyond.
  const step = total < 3_600 ? 1 : total < 86_400 - 30 ? 60 : 3_600;
  const s = Math.round(total / step) * step;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  const zh = language === 'zh-CN';
  const unit = zh ? { d: '天', h: '小时', m: '分', s: '秒' } : { d: 'd', h: 'h', m: 'm', s: 's' };
  const parts: string[] = [];
  if (d) parts.push(`${d}${unit.d}`);
  if (h) parts.push(`${h}${unit.h}`);
  if (m && d === 0) parts.push(`${m}${unit.m}`);
  if (d === 0 && h === 0) parts.push(`${sec}${unit.s}`);
  return parts.slice(0, 2).join(zh ? '' : ' ');
}

/** A runtime counter as h:mm:ss, for live displays that tick every second. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

export function dateTime(ts: number, language: Language): string {
  return dateFormat(language, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ts);
}

export function shortTime(ts: number, language: Language): string {
  return dateFormat(language, { hour: '2-digit', minute: '2-digit' }).format(ts);
}

export function date(ts: number, language: Language): string {
  return dateFormat(language, { year: 'numeric', month: 'short', day: 'numeric' }).format(ts);
}

export function bytes(value: number, language: Language): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${numberFormat(language, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(scaled)} ${units[unit]}`;
}

/** "in 25s" / "3m ago" style, for retry countdowns and last-seen times. */
export function relative(ts: number, now: number, language: Language): string {
  const seconds = Math.round((ts - now) / 1000);
  const format = relativeFormat(language, { numeric: 'auto', style: 'short' });
  const abs = Math.abs(seconds);
  if (abs < 60) return format.format(seconds, 'second');
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour');
  return format.format(Math.round(seconds / 86_400), 'day');
}
