import type { Language } from '../../../../shared/app.js';

/** The tray's words, English and Simplified Chinese with the same keys (checked by the compiler). */
export interface TrayStrings {
  today(cost: string): string;
  noCostToday: string;
  running(count: number): string;
  noneRunning: string;
  runningFor(model: string, runtime: string): string;
  openCircuits(count: number): string;
  halfOpenCircuits(count: number): string;
  allCircuitsClosed: string;
  openQuickView: string;
  openDashboard: string;
  language: string;
  languageSystem: string;
  launchAtLogin: string;
  /** The disabled item of a development run (the reason in a few words). */
  launchAtLoginInstalledOnly: string;
  quit: string;
  lessThanAMinute: string;
  minutes(m: number): string;
  hoursMinutes(h: number, m: number): string;
  circuitOpenedTitle: string;
  circuitOpenedBody(channel: string, apiType: string): string;
  circuitsOpenedBody(count: number): string;
  /** A budget at 80 % or more of its amount (tray tooltip and menu). */
  budgetWarning(name: string, percent: number): string;
  budgetOver(name: string, percent: number): string;
  budgetAlertTitle(name: string, threshold: number): string;
  budgetAlertBody(spent: string, projected: string): string;
  /** How many machines this ledger holds records of (this one and those forwarding here). */
  machines(count: number): string;
  /** The notice before a big ledger's schema upgrade (its size in MB): the start waits for it. */
  upgradeTitle: string;
  upgradeBody(megabytes: number): string;
}

export const TRAY_STRINGS: Record<Language, TrayStrings> = {
  en: {
    today: (cost) => `Today: ${cost}`,
    noCostToday: 'Today: no priced use yet',
    running: (count) => `Running models (${count})`,
    noneRunning: 'No model running',
    runningFor: (model, runtime) => `${model} · ${runtime}`,
    openCircuits: (count) => (count === 1 ? '1 channel circuit open' : `${count} channel circuits open`),
    halfOpenCircuits: (count) => `${count} testing again (half-open)`,
    allCircuitsClosed: 'All channels healthy',
    openQuickView: 'Open quick view',
    openDashboard: 'Open dashboard',
    language: 'Language',
    languageSystem: 'System',
    launchAtLogin: 'Launch at login',
    launchAtLoginInstalledOnly: 'Launch at login (installed app only)',
    quit: 'Quit ModelMeter',
    lessThanAMinute: 'under 1 min',
    minutes: (m) => `${m} min`,
    hoursMinutes: (h, m) => `${h} h ${String(m).padStart(2, '0')} min`,
    circuitOpenedTitle: 'A channel stopped accepting requests',
    circuitOpenedBody: (channel, apiType) => `The circuit of ${channel} (${apiType}) opened after repeated failures.`,
    circuitsOpenedBody: (count) => `${count} more channel circuits opened. Open the dashboard to see which.`,
    budgetWarning: (name, percent) => `Budget "${name}": ${percent}% used`,
    budgetOver: (name, percent) => `Budget "${name}" exceeded: ${percent}% used`,
    budgetAlertTitle: (name, threshold) => `Budget "${name}" passed ${threshold}%`,
    budgetAlertBody: (spent, projected) => `Spent ${spent} this period; forecast ${projected} by its end.`,
    upgradeTitle: 'Upgrading the ledger',
    upgradeBody: (megabytes) => `ModelMeter is bringing your ledger (${megabytes} MB) up to this version. This happens once and can take a minute; ModelMeter starts when it is done.`,
    machines: (count) => `${count} machines`,
  },
  'zh-CN': {
    today: (cost) => `今日：${cost}`,
    noCostToday: '今日：暂无计价用量',
    running: (count) => `运行中的模型（${count}）`,
    noneRunning: '没有运行中的模型',
    runningFor: (model, runtime) => `${model} · ${runtime}`,
    openCircuits: (count) => `${count} 个渠道熔断中`,
    halfOpenCircuits: (count) => `${count} 个正在重试（半开）`,
    allCircuitsClosed: '所有渠道正常',
    openQuickView: '打开快速查看',
    openDashboard: '打开仪表盘',
    language: '语言',
    languageSystem: '跟随系统',
    launchAtLogin: '登录时启动',
    launchAtLoginInstalledOnly: '登录时启动（仅安装版可用）',
    quit: '退出 ModelMeter',
    lessThanAMinute: '不到 1 分钟',
    minutes: (m) => `${m} 分钟`,
    hoursMinutes: (h, m) => `${h} 小时 ${m} 分钟`,
    circuitOpenedTitle: '有渠道停止接受请求',
    circuitOpenedBody: (channel, apiType) => `${channel}（${apiType}）连续失败，熔断器已打开。`,
    circuitsOpenedBody: (count) => `又有 ${count} 个渠道熔断。打开仪表盘查看详情。`,
    budgetWarning: (name, percent) => `预算「${name}」已用 ${percent}%`,
    budgetOver: (name, percent) => `预算「${name}」已超支：已用 ${percent}%`,
    budgetAlertTitle: (name, threshold) => `预算「${name}」已超过 ${threshold}%`,
    budgetAlertBody: (spent, projected) => `本期已花费 ${spent}，预计期末 ${projected}。`,
    upgradeTitle: '正在升级账本',
    upgradeBody: (megabytes) => `ModelMeter 正在把账本（${megabytes} MB）升级到当前版本。只需一次，可能要一分钟左右，完成后即会启动。`,
    machines: (count) => `${count} 台机器`,
  },
};

/** Names of the languages in their own script, the same in every menu. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': '简体中文' };
