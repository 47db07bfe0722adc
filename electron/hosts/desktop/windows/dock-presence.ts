/** The slice of Electron's app.dock (macOS only) used here. */
export interface DockLike {
  hide(): void;
  show(): Promise<void>;
}

/** Electron's docs: dock.hide() within one second of a previous dock call has no effect. */
export const DOCK_SETTLE_MS = 1100;

/**
 * macOS: a tray app shows no Dock icon (and no app menu bar) while only the tray and the quick view
 * are up; the icon comes back while the dashboard window is open so it can be found with Cmd+Tab.
 */
export class DockPresence {
  private visible = true;
  private lastCall = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dock: DockLike,
    private readonly log: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  dashboardVisible(shown: boolean): void {
    if (shown) {
      this.cancel();
      if (this.visible) return;
      this.visible = true;
      this.lastCall = this.now();
      this.dock.show().catch((error: unknown) => this.log(`cannot show the Dock icon: ${(error as Error).message}`));
      return;
    }
    if (!this.visible || this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.visible = false;
        this.lastCall = this.now();
        this.dock.hide();
      },
      Math.max(0, this.lastCall + DOCK_SETTLE_MS - this.now()),
    );
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
