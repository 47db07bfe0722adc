import type { MenuItemConstructorOptions } from 'electron';
import { LANGUAGES, type Language } from '../../../../shared/app.js';
import type { Money } from '../../../../shared/types.js';
import { LANGUAGE_NAMES, TRAY_STRINGS, type TrayStrings } from './strings.js';

export interface RunningModel {
  model: string;
  /** When its current run started (ms). */
  since: number;
}

/** The enabled budget furthest through its amount, once at 80 % or more (the tray's warning level). */
export interface TrayBudget {
  name: string;
  percent: number;
}

/** From 80 % of a budget the icon turns amber, from 100 % red. */
export const BUDGET_WARNING_PERCENT = 80;
export const BUDGET_OVER_PERCENT = 100;

export interface TrayState {
  todayCost: Money;
  /** Null while every enabled budget is under 80 %. */
  budget?: TrayBudget | null;
  runningModels: RunningModel[];
  openCircuits: number;
  halfOpen: number;
  /** Machines with records here, this one included; the tooltip counts them once another forwards here (2 or more). */
  machines?: number;
  /** The language chosen in the app; null follows the OS. */
  language: Language | null;
  /** Null where the platform cannot start the app at login. */
  launchAtLogin: boolean | null;
  /** Why launchAtLogin is null, when the menu should say so instead of leaving the item out. */
  loginItemUnavailable?: 'development';
}

export const EMPTY_TRAY_STATE: TrayState = { todayCost: {}, runningModels: [], openCircuits: 0, halfOpen: 0, language: null, launchAtLogin: false };

export interface TrayActions {
  openQuickView(): void;
  openDashboard(route?: string): void;
  setLanguage(language: Language | null): void;
  setLaunchAtLogin(enabled: boolean): void;
  quit(): void;
}

export interface TrayIcon {
  /** alert: a circuit is open (red dot); budget-warning: a budget at 80 % (amber dot); budget-over: at 100 % (red ring). */
  kind: 'normal' | 'alert' | 'budget-warning' | 'budget-over';
  /** The theme of the taskbar the icon sits on: a dark bar needs a light glyph. */
  theme: 'light' | 'dark';
}

export interface TrayView {
  icon: TrayIcon;
  tooltip: string;
  menu: MenuItemConstructorOptions[];
}

export interface RenderContext {
  /** The language to show (the chosen one, or the OS's). */
  language: Language;
  darkTheme: boolean;
  now: number;
  actions: TrayActions;
}

/** The whole tray from one state: what the icon, tooltip and menu show. No Electron, no side effects. */
export function renderTray(state: TrayState, context: RenderContext): TrayView {
  const s = TRAY_STRINGS[context.language];
  const { actions } = context;
  const cost = formatMoney(state.todayCost, context.language);
  const costLine = cost ? s.today(cost) : s.noCostToday;
  const circuitLine = state.openCircuits > 0 ? s.openCircuits(state.openCircuits) : s.allCircuitsClosed;
  const budget = state.budget ?? null;
  const budgetOver = budget !== null && budget.percent >= BUDGET_OVER_PERCENT;
  const budgetLine = budget === null ? null : (budgetOver ? s.budgetOver : s.budgetWarning)(budget.name, Math.floor(budget.percent));

  const running: MenuItemConstructorOptions[] =
    state.runningModels.length === 0
      ? [{ label: s.noneRunning, enabled: false }]
      : [
          { label: s.running(state.runningModels.length), enabled: false },
          ...state.runningModels.map((run): MenuItemConstructorOptions => ({
            label: `   ${s.runningFor(run.model, formatRuntime(context.now - run.since, s))}`,
            click: () => actions.openDashboard(`models/${encodeURIComponent(run.model)}`),
          })),
        ];
  const circuits: MenuItemConstructorOptions[] = [
    { label: circuitLine, ...(state.openCircuits > 0 ? { click: () => actions.openDashboard('channels') } : { enabled: false }) },
    ...(state.halfOpen > 0 ? [{ label: s.halfOpenCircuits(state.halfOpen), click: () => actions.openDashboard('channels') }] : []),
  ];
  const languages: MenuItemConstructorOptions[] = [
    { label: s.languageSystem, type: 'radio', checked: state.language === null, click: () => actions.setLanguage(null) },
    ...LANGUAGES.map((language): MenuItemConstructorOptions => ({
      label: LANGUAGE_NAMES[language],
      type: 'radio',
      checked: state.language === language,
      click: () => actions.setLanguage(language),
    })),
  ];
  const menu: MenuItemConstructorOptions[] = [
    { label: costLine, enabled: false },
    ...(budgetLine === null ? [] : [{ label: budgetLine, click: () => actions.openDashboard('budgets') }]),
    ...running,
    ...circuits,
    { type: 'separator' },
    { label: s.openQuickView, click: () => actions.openQuickView() },
    { label: s.openDashboard, click: () => actions.openDashboard() },
    { type: 'separator' },
    { label: s.language, submenu: languages },
    ...(state.launchAtLogin === null
      ? state.loginItemUnavailable === 'development'
        ? [{ label: s.launchAtLoginInstalledOnly, type: 'checkbox' as const, checked: false, enabled: false }]
        : []
      : [{ label: s.launchAtLogin, type: 'checkbox' as const, checked: state.launchAtLogin, click: () => actions.setLaunchAtLogin(!state.launchAtLogin) }]),
    { type: 'separator' },
    { label: s.quit, click: () => actions.quit() },
  ];

  const machines = state.machines ?? 1;
  const tooltip = [
    'ModelMeter',
    machines > 1 ? `${costLine} · ${s.machines(machines)}` : costLine,
    ...(budgetLine === null ? [] : [budgetLine]),
    ...(state.runningModels.length > 0 ? [s.running(state.runningModels.length)] : []),
    ...(state.openCircuits > 0 ? [circuitLine] : []),
  ].join('\n');
  // An open circuit is the more urgent sign (requests fail now); a budget shows when none is open.
  const kind: TrayIcon['kind'] = state.openCircuits > 0 ? 'alert' : budget === null ? 'normal' : budgetOver ? 'budget-over' : 'budget-warning';
  return { icon: { kind, theme: context.darkTheme ? 'dark' : 'light' }, tooltip, menu };
}

/**
 * The icon file for a state. macOS gets a template image for the normal icon (the menu bar tints
 * it for its theme); the alert icon keeps its red dot, so it is never a template. Windows gets an
 * .ico holding every size its tray asks for at each display scaling (Electron's Tray docs
 * recommend ICO there); Linux the PNG (with its @2x sibling).
 */
export function trayIconFile(icon: TrayIcon, platform: NodeJS.Platform): string {
  if (platform === 'darwin' && icon.kind === 'normal') return 'trayTemplate.png';
  return `tray-${icon.kind}-${icon.theme}.${platform === 'win32' ? 'ico' : 'png'}`;
}

/** Each currency on its own ("$1.20 · ¥8.00"): amounts in different currencies never add up. Empty when nothing is priced. */
export function formatMoney(money: Money, language: Language): string {
  return Object.entries(money)
    .filter(([, amount]) => amount !== 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, amount]) => {
      try {
        return new Intl.NumberFormat(language, { style: 'currency', currency, maximumFractionDigits: amount < 1 ? 4 : 2 }).format(amount);
      } catch {
        return `${amount.toFixed(2)} ${currency}`;
      }
    })
    .join(' · ');
}

export function formatRuntime(ms: number, s: TrayStrings): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return s.lessThanAMinute;
  if (minutes < 60) return s.minutes(minutes);
  return s.hoursMinutes(Math.floor(minutes / 60), minutes % 60);
}
