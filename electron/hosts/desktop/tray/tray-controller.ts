import path from 'node:path';
import type { Language } from '../../../../shared/app.js';
import type { Money } from '../../../../shared/types.js';
import type { MenuFactory, MenuHandle, TrayLike } from '../electron-api.js';
import { renderTray, trayIconFile, type RunningModel, type TrayActions, type TrayBudget, type TrayState } from './render-tray.js';

export interface TrayControllerOptions {
  tray: TrayLike;
  Menu: MenuFactory;
  /** Folder holding the tray PNGs (build/tray, or resources/tray when packaged). */
  iconDir: string;
  platform: NodeJS.Platform;
  actions: TrayActions;
  /** The OS's preferred languages, for "System". */
  systemLanguage: () => Language;
  darkTheme: () => boolean;
  now?: () => number;
}

/**
 * Holds the tray's state and draws it through one render(). Each setter compares first and does
 * nothing when the value is the same, so frequent ledger events do not rebuild the menu for nothing.
 */
export class TrayController {
  private state: TrayState;
  private menu: MenuHandle | null = null;
  private image: string | null = null;
  /** How many times the tray was redrawn (tests and logs). */
  renders = 0;

  constructor(
    private readonly options: TrayControllerOptions,
    initial: TrayState,
  ) {
    this.state = { ...initial };
    // macOS opens a context menu on any click; there the menu comes up on right-click only, so a
    // left click can toggle the quick view.
    if (options.platform === 'darwin') options.tray.on('right-click', () => this.menu && options.tray.popUpContextMenu(this.menu));
  }

  get current(): Readonly<TrayState> {
    return this.state;
  }

  get displayLanguage(): Language {
    return this.state.language ?? this.options.systemLanguage();
  }

  setTodayCost(cost: Money): void {
    if (sameMoney(cost, this.state.todayCost)) return;
    this.state = { ...this.state, todayCost: { ...cost } };
    this.render();
  }

  setRunningModels(models: RunningModel[]): void {
    if (sameRuns(models, this.state.runningModels)) return;
    this.state = { ...this.state, runningModels: models.map((run) => ({ ...run })) };
    this.render();
  }

  setCircuits(open: number, halfOpen: number): void {
    if (open === this.state.openCircuits && halfOpen === this.state.halfOpen) return;
    this.state = { ...this.state, openCircuits: open, halfOpen };
    this.render();
  }

  /** The budget to warn about (80 % or more), or null. Redrawn when its name or whole percent changes. */
  setBudget(budget: TrayBudget | null): void {
    const current = this.state.budget ?? null;
    if (current?.name === budget?.name && Math.floor(current?.percent ?? 0) === Math.floor(budget?.percent ?? 0)) return;
    this.state = { ...this.state, budget: budget ? { ...budget } : null };
    this.render();
  }

  /** Machines with records here, this one included (1 while nobody forwards here). */
  setMachines(count: number): void {
    if (count === (this.state.machines ?? 1)) return;
    this.state = { ...this.state, machines: count };
    this.render();
  }

  setLanguage(language: Language | null): void {
    if (language === this.state.language) return;
    this.state = { ...this.state, language };
    this.render();
  }

  setLaunchAtLogin(enabled: boolean | null): void {
    if (enabled === this.state.launchAtLogin) return;
    this.state = { ...this.state, launchAtLogin: enabled };
    this.render();
  }

  /** Runtimes grow with the clock: redraw when something is running (the 30 s timer calls this). */
  tick(): void {
    if (this.state.runningModels.length > 0) this.render();
  }

  /** The OS theme changed: the icon variant may have to follow. */
  themeChanged(): void {
    this.render();
  }

  render(): void {
    const view = renderTray(this.state, {
      language: this.displayLanguage,
      darkTheme: this.options.darkTheme(),
      now: (this.options.now ?? Date.now)(),
      actions: this.options.actions,
    });
    const image = path.join(this.options.iconDir, trayIconFile(view.icon, this.options.platform));
    if (image !== this.image) {
      this.options.tray.setImage(image);
      this.image = image;
    }
    this.options.tray.setToolTip(view.tooltip);
    this.menu = this.options.Menu.buildFromTemplate(view.menu);
    if (this.options.platform !== 'darwin') this.options.tray.setContextMenu(this.menu);
    this.renders += 1;
  }
}

function sameMoney(a: Money, b: Money): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function sameRuns(a: RunningModel[], b: RunningModel[]): boolean {
  return a.length === b.length && a.every((run, index) => run.model === b[index]?.model && run.since === b[index]?.since);
}
