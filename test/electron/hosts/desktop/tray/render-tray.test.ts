import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { taskbarIsDark } from '../../../../../electron/hosts/desktop/tray/taskbar-theme.js';
import type { TrayActions, TrayState } from '../../../../../electron/hosts/desktop/tray/render-tray.js';
import { EMPTY_TRAY_STATE, formatMoney, renderTray, trayIconFile } from '../../../../../electron/hosts/desktop/tray/render-tray.js';
import { click, menuItem } from '../fakes.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

function actions() {
  return {
    openQuickView: vi.fn<TrayActions['openQuickView']>(),
    openDashboard: vi.fn<TrayActions['openDashboard']>(),
    setLanguage: vi.fn<TrayActions['setLanguage']>(),
    setLaunchAtLogin: vi.fn<TrayActions['setLaunchAtLogin']>(),
    quit: vi.fn<TrayActions['quit']>(),
  } satisfies TrayActions;
}

const busy: TrayState = {
  todayCost: { USD: 1.5, CNY: 12 },
  runningModels: [
    { model: 'qwen3-32b', since: NOW - (65 * 60_000 + 30_000) },
    { model: 'gpt-5-mini', since: NOW - 20_000 },
  ],
  openCircuits: 2,
  halfOpen: 1,
  language: null,
  launchAtLogin: true,
};

describe('renderTray', () => {
  it('shows today\'s cost per currency, each running model with its runtime and the open circuits, in English', () => {
    const view = renderTray(busy, { language: 'en', darkTheme: false, now: NOW, actions: actions() });
    const labels = view.menu.map((item) => item.label ?? item.type);
    expect(labels).toContain('Today: CN¥12.00 · $1.50');
    expect(labels).toContain('Running models (2)');
    expect(labels).toContain('   qwen3-32b · 1 h 05 min');
    expect(labels).toContain('   gpt-5-mini · under 1 min');
    expect(labels).toContain('2 channel circuits open');
    expect(labels).toContain('1 testing again (half-open)');
    expect(view.tooltip.split('\n')).toEqual(['ModelMeter', 'Today: CN¥12.00 · $1.50', 'Running models (2)', '2 channel circuits open']);
  });

  it('adds the machine count to the tooltip only when another machine forwards here', () => {
    const context = { language: 'en' as const, darkTheme: false, now: NOW, actions: actions() };
    expect(renderTray({ ...busy, machines: 1 }, context).tooltip).toBe(renderTray(busy, context).tooltip);
    expect(renderTray({ ...busy, machines: 2 }, context).tooltip.split('\n')[1]).toBe('Today: CN¥12.00 · $1.50 · 2 machines');
    expect(renderTray({ ...busy, todayCost: {}, machines: 4 }, { ...context, language: 'zh-CN' }).tooltip).toContain('今日：暂无计价用量 · 4 台机器');
  });

  it('speaks Simplified Chinese when asked', () => {
    const view = renderTray(busy, { language: 'zh-CN', darkTheme: false, now: NOW, actions: actions() });
    const labels = view.menu.map((item) => item.label);
    expect(labels).toContain('运行中的模型（2）');
    expect(labels).toContain('   qwen3-32b · 1 小时 5 分钟');
    expect(labels).toContain('2 个渠道熔断中');
    expect(labels).toContain('打开仪表盘');
    expect(labels).toContain('退出 ModelMeter');
    expect(labels.find((label) => label?.startsWith('今日：'))).toMatch(/¥12\.00/);
  });

  it('uses the alert icon only while a circuit is open, in the variant for the taskbar theme', () => {
    const calm = { ...busy, openCircuits: 0 };
    expect(renderTray(busy, { language: 'en', darkTheme: true, now: NOW, actions: actions() }).icon).toEqual({ kind: 'alert', theme: 'dark' });
    expect(renderTray(calm, { language: 'en', darkTheme: false, now: NOW, actions: actions() }).icon).toEqual({ kind: 'normal', theme: 'light' });
    expect(renderTray(calm, { language: 'en', darkTheme: false, now: NOW, actions: actions() }).menu.map((item) => item.label)).toContain('All channels healthy');
  });

  it('says when nothing is priced or running rather than showing zero', () => {
    const view = renderTray(EMPTY_TRAY_STATE, { language: 'en', darkTheme: false, now: NOW, actions: actions() });
    const labels = view.menu.map((item) => item.label);
    expect(labels).toContain('Today: no priced use yet');
    expect(labels).toContain('No model running');
    expect(labels.some((label) => label?.includes('$0'))).toBe(false);
  });

  it('has menu items that do what a click on each should', () => {
    const spy = actions();
    const menu = renderTray(busy, { language: 'en', darkTheme: false, now: NOW, actions: spy }).menu;
    click(menuItem(menu, 'Open quick view'));
    expect(spy.openQuickView).toHaveBeenCalledOnce();
    click(menuItem(menu, 'Open dashboard'));
    expect(spy.openDashboard).toHaveBeenLastCalledWith();
    click(menuItem(menu, '   qwen3-32b · 1 h 05 min'));
    expect(spy.openDashboard).toHaveBeenLastCalledWith('models/qwen3-32b');
    click(menuItem(menu, '2 channel circuits open'));
    expect(spy.openDashboard).toHaveBeenLastCalledWith('channels');
    click(menuItem(menu, '简体中文'));
    expect(spy.setLanguage).toHaveBeenLastCalledWith('zh-CN');
    click(menuItem(menu, 'System'));
    expect(spy.setLanguage).toHaveBeenLastCalledWith(null);
    click(menuItem(menu, 'Launch at login'));
    expect(spy.setLaunchAtLogin).toHaveBeenLastCalledWith(false);
    click(menuItem(menu, 'Quit ModelMeter'));
    expect(spy.quit).toHaveBeenCalledOnce();
  });

  it('marks the chosen language and the login setting', () => {
    const menu = renderTray({ ...busy, language: 'zh-CN', launchAtLogin: false }, { language: 'zh-CN', darkTheme: false, now: NOW, actions: actions() }).menu;
    expect(menuItem(menu, '简体中文')).toMatchObject({ type: 'radio', checked: true });
    expect(menuItem(menu, 'English')).toMatchObject({ type: 'radio', checked: false });
    expect(menuItem(menu, '跟随系统')).toMatchObject({ type: 'radio', checked: false });
    expect(menuItem(menu, '登录时启动')).toMatchObject({ type: 'checkbox', checked: false });
  });

  it('leaves out launch at login where the platform cannot do it', () => {
    const menu = renderTray({ ...busy, launchAtLogin: null }, { language: 'en', darkTheme: false, now: NOW, actions: actions() }).menu;
    expect(() => menuItem(menu, 'Launch at login')).toThrow();
    expect(() => menuItem(menu, 'Launch at login (installed app only)')).toThrow();
  });

  it('shows launch at login disabled, with the reason, in a development run', () => {
    const menu = renderTray({ ...busy, launchAtLogin: null, loginItemUnavailable: 'development' }, { language: 'en', darkTheme: false, now: NOW, actions: actions() }).menu;
    expect(menuItem(menu, 'Launch at login (installed app only)')).toMatchObject({ type: 'checkbox', checked: false, enabled: false });
    const zh = renderTray({ ...busy, launchAtLogin: null, loginItemUnavailable: 'development' }, { language: 'zh-CN', darkTheme: false, now: NOW, actions: actions() }).menu;
    expect(menuItem(zh, '登录时启动（仅安装版可用）')).toMatchObject({ enabled: false });
  });
});

describe('renderTray with budgets', () => {
  const calm: TrayState = { ...EMPTY_TRAY_STATE, todayCost: { USD: 8 } };
  const render = (state: TrayState, language: 'en' | 'zh-CN' = 'en') => renderTray(state, { language, darkTheme: false, now: NOW, actions: actions() });

  it('turns the icon amber at 80 % and red at 100 % of a budget, and says which in the tooltip', () => {
    expect(render({ ...calm, budget: null }).icon.kind).toBe('normal');
    const warning = render({ ...calm, budget: { name: 'Team', percent: 80 } });
    expect(warning.icon.kind).toBe('budget-warning');
    expect(warning.tooltip.split('\n')).toEqual(['ModelMeter', 'Today: $8.00', 'Budget "Team": 80% used']);
    const over = render({ ...calm, budget: { name: 'Team', percent: 100.4 } });
    expect(over.icon.kind).toBe('budget-over');
    expect(over.tooltip).toContain('Budget "Team" exceeded: 100% used');
    expect(render({ ...calm, budget: { name: 'Team', percent: 99.99 } }).icon.kind).toBe('budget-warning');
    expect(render({ ...calm, budget: { name: '团队', percent: 130 } }, 'zh-CN').tooltip).toContain('预算「团队」已超支：已用 130%');
  });

  it('puts the budget in the menu, leading to the budgets view; an open circuit keeps the alert icon', () => {
    const act = actions();
    const view = renderTray({ ...calm, budget: { name: 'Team', percent: 85 }, openCircuits: 1 }, { language: 'en', darkTheme: true, now: NOW, actions: act });
    expect(view.icon).toEqual({ kind: 'alert', theme: 'dark' });
    click(menuItem(view.menu, 'Budget "Team": 85% used'));
    expect(act.openDashboard).toHaveBeenCalledWith('budgets');
  });
});

describe('trayIconFile', () => {
  it('gives macOS a template image for the normal icon and keeps the red alert in colour', () => {
    expect(trayIconFile({ kind: 'normal', theme: 'dark' }, 'darwin')).toBe('trayTemplate.png');
    expect(trayIconFile({ kind: 'alert', theme: 'dark' }, 'darwin')).toBe('tray-alert-dark.png');
    expect(trayIconFile({ kind: 'normal', theme: 'light' }, 'linux')).toBe('tray-normal-light.png');
  });

  it('gives Windows an .ico, and every file it can name exists in build/tray', () => {
    expect(trayIconFile({ kind: 'normal', theme: 'dark' }, 'win32')).toBe('tray-normal-dark.ico');
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      for (const kind of ['normal', 'alert', 'budget-warning', 'budget-over'] as const) {
        for (const theme of ['light', 'dark'] as const) {
          expect(fs.existsSync(path.join('build', 'tray', trayIconFile({ kind, theme }, platform)))).toBe(true);
        }
      }
    }
  });

  it('packs the sizes Windows asks for at 100-300 % scaling into each .ico', () => {
    const ico = fs.readFileSync(path.join('build', 'tray', 'tray-alert-light.ico'));
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, index) => ico.readUInt8(6 + 16 * index));
    expect(sizes).toEqual([16, 20, 24, 32, 40, 48]);
    // Each entry is a PNG at the offset the directory gives.
    const offset = ico.readUInt32LE(6 + 12);
    expect(ico.subarray(offset, offset + 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });
});

describe('taskbarIsDark', () => {
  it('follows the Windows taskbar, not the app theme', () => {
    expect(taskbarIsDark('win32', { shouldUseDarkColors: false, shouldUseDarkColorsForSystemIntegratedUI: true }, {})).toBe(true);
    expect(taskbarIsDark('win32', { shouldUseDarkColors: true, shouldUseDarkColorsForSystemIntegratedUI: false }, {})).toBe(false);
  });

  it('draws the light glyph on Linux panels unless told the panel is light', () => {
    expect(taskbarIsDark('linux', { shouldUseDarkColors: false }, {})).toBe(true);
    expect(taskbarIsDark('linux', { shouldUseDarkColors: false }, { MODELMETER_TRAY_THEME: 'light' })).toBe(false);
  });

  it('follows the menu bar on macOS', () => {
    expect(taskbarIsDark('darwin', { shouldUseDarkColors: true, shouldUseDarkColorsForSystemIntegratedUI: true }, {})).toBe(true);
  });
});

describe('formatMoney', () => {
  it('keeps unknown currency codes readable instead of throwing', () => {
    expect(formatMoney({ XYZ1: 2 }, 'en')).toBe('2.00 XYZ1');
    expect(formatMoney({ USD: 0.0123 }, 'en')).toBe('$0.0123');
  });
});
