import type { DisplayLike, Point, Rect, ScreenLike } from '../electron-api.js';

export type TaskbarEdge = 'top' | 'bottom' | 'left' | 'right';

/** Where the taskbar sits, read from the part of the display the work area leaves out. */
export function taskbarEdge(display: DisplayLike, platform: NodeJS.Platform): TaskbarEdge {
  if (platform === 'darwin') return 'top';
  const { bounds, workArea } = display;
  if (workArea.y > bounds.y) return 'top';
  if (workArea.x > bounds.x) return 'left';
  if (workArea.x + workArea.width < bounds.x + bounds.width) return 'right';
  return 'bottom';
}

export interface PopoverRequest {
  platform: NodeJS.Platform;
  /** The tray icon's bounds; Linux indicators often report all zeros. */
  trayBounds: Rect;
  size: { width: number; height: number };
  screen: Pick<ScreenLike, 'getDisplayMatching' | 'getDisplayNearestPoint' | 'getCursorScreenPoint'>;
}

/**
 * The quick view's top-left corner: against the taskbar edge, centred on the tray icon and kept
 * inside the work area. macOS: under the icon in the menu bar. Windows: above the icon on a bottom
 * taskbar (or beside it on a side one). Linux without tray bounds: at the cursor, which has just
 * clicked the indicator, against whichever edge the panel is on.
 */
export function popoverPosition(request: PopoverRequest): Point {
  const { trayBounds, size, screen, platform } = request;
  const known = trayBounds.width > 0 && trayBounds.height > 0;
  const anchor: Rect = known ? trayBounds : { ...screen.getCursorScreenPoint(), width: 0, height: 0 };
  const display = known ? screen.getDisplayMatching(trayBounds) : screen.getDisplayNearestPoint(anchor);
  const { workArea } = display;
  const centreX = anchor.x + anchor.width / 2 - size.width / 2;
  const centreY = anchor.y + anchor.height / 2 - size.height / 2;
  let x: number;
  let y: number;
  switch (taskbarEdge(display, platform)) {
    case 'top':
      x = centreX;
      y = workArea.y;
      break;
    case 'bottom':
      x = centreX;
      y = workArea.y + workArea.height - size.height;
      break;
    case 'left':
      x = workArea.x;
      y = centreY;
      break;
    case 'right':
      x = workArea.x + workArea.width - size.width;
      y = centreY;
      break;
  }
  return {
    x: Math.round(clamp(x, workArea.x, workArea.x + workArea.width - size.width)),
    y: Math.round(clamp(y, workArea.y, workArea.y + workArea.height - size.height)),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}
