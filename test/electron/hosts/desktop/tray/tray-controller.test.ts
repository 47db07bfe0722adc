import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_TRAY_STATE } from '../../../../../electron/hosts/desktop/tray/render-tray.js';
import { TrayController } from '../../../../../electron/hosts/desktop/tray/tray-controller.js';
import { FakeTray, fakeMenuFactory, menuItem, type FakeMenu } from '../fakes.js';

function setup(platform: NodeJS.Platform = 'linux') {
  const tray = new FakeTray('/icons/initial.png');
  let dark = false;
  const controller = new TrayController(
    {
      tray,
      Menu: fakeMenuFactory,
      iconDir: '/icons',
      platform,
      systemLanguage: () => 'en',
      darkTheme: () => dark,
      now: () => 1_000_000,
      actions: { openQuickView() {}, openDashboard() {}, setLanguage() {}, setLaunchAtLogin() {}, quit() {} },
    },
    EMPTY_TRAY_STATE,
  );
  controller.render();
  return { tray, controller, setDark: (value: boolean) => (dark = value) };
}

describe('TrayController', () => {
  it('renders once per real change and not at all for a value it already shows', () => {
    const { controller } = setup();
    const before = controller.renders;
    controller.setTodayCost({ USD: 1 });
    controller.setTodayCost({ USD: 1 });
    controller.setCircuits(0, 0);
    controller.setRunningModels([]);
    controller.setLanguage(null);
    controller.setLaunchAtLogin(false);
    expect(controller.renders).toBe(before + 1);
    controller.setRunningModels([{ model: 'a', since: 5 }]);
    controller.setRunningModels([{ model: 'a', since: 5 }]);
    controller.setCircuits(1, 0);
    controller.setCircuits(1, 0);
    expect(controller.renders).toBe(before + 3);
  });

  it('swaps the icon file only when the icon changes, and follows the OS theme', () => {
    const { tray, controller, setDark } = setup();
    const images = tray.images.length;
    controller.setTodayCost({ USD: 2 });
    expect(tray.images.length).toBe(images);
    controller.setCircuits(1, 0);
    expect(tray.images.at(-1)).toBe(path.join('/icons', 'tray-alert-light.png'));
    setDark(true);
    controller.themeChanged();
    expect(tray.images.at(-1)).toBe(path.join('/icons', 'tray-alert-dark.png'));
  });

  it('shows a budget at 80 % and 100 % with its icon, redrawing only when the whole percent changes', () => {
    const { tray, controller } = setup();
    const before = controller.renders;
    controller.setBudget(null);
    expect(controller.renders).toBe(before);
    controller.setBudget({ name: 'Team', percent: 80.2 });
    expect(tray.images.at(-1)).toBe(path.join('/icons', 'tray-budget-warning-light.png'));
    expect(tray.tooltip).toContain('Budget "Team": 80% used');
    controller.setBudget({ name: 'Team', percent: 80.7 });
    expect(controller.renders).toBe(before + 1);
    controller.setBudget({ name: 'Team', percent: 100 });
    expect(tray.images.at(-1)).toBe(path.join('/icons', 'tray-budget-over-light.png'));
    controller.setBudget(null);
    expect(tray.images.at(-1)).toBe(path.join('/icons', 'tray-normal-light.png'));
    expect(tray.tooltip).not.toContain('Budget');
  });

  it('counts the machines in the tooltip once another forwards here, redrawing only when the count changes', () => {
    const { tray, controller } = setup();
    const before = controller.renders;
    controller.setMachines(1);
    expect(controller.renders).toBe(before);
    expect(tray.tooltip).not.toContain('machines');
    controller.setTodayCost({ USD: 2 });
    controller.setMachines(3);
    controller.setMachines(3);
    expect(controller.renders).toBe(before + 2);
    expect(tray.tooltip.split('\n')[1]).toBe('Today: $2.00 · 3 machines');
    controller.setLanguage('zh-CN');
    expect(tray.tooltip).toContain('3 台机器');
    controller.setMachines(1);
    expect(tray.tooltip).not.toContain('台机器');
  });

  it('puts the rebuilt menu on the tray, in the language set last', () => {
    const { tray, controller } = setup();
    controller.setLanguage('zh-CN');
    const menu = tray.contextMenu as FakeMenu;
    expect(menuItem(menu.template, '打开快速查看')).toBeDefined();
    expect(controller.displayLanguage).toBe('zh-CN');
  });

  it('redraws on the clock only while something runs', () => {
    const { controller } = setup();
    const before = controller.renders;
    controller.tick();
    expect(controller.renders).toBe(before);
    controller.setRunningModels([{ model: 'a', since: 0 }]);
    controller.tick();
    expect(controller.renders).toBe(before + 2);
  });

  it('on macOS keeps the menu for right-click so a left click can open the quick view', () => {
    const { tray } = setup('darwin');
    expect(tray.contextMenu).toBeNull();
    tray.emit('right-click');
    expect(tray.poppedUp).toBe(1);
  });
});
