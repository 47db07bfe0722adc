/** The part of `document` that says whether the page is seen (a fake in tests). */
export interface PageVisibility {
  readonly visibilityState: DocumentVisibilityState;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

export interface OnScreenSources {
  /** The page's own visibility: hidden in a background tab or a minimised window. */
  page?: PageVisibility | undefined;
  /** The desktop app's word on whether it shows the window (see SHOWN_CHANNEL); a browser has none. */
  shown?: ((listener: (shown: boolean) => void) => () => void) | undefined;
}

/**
 * Whether a person can see this renderer: told at once, then on every change. Views stop refreshing
 * while it is false, so a window hidden to the tray or a background tab costs neither the server's
 * reads nor the page's redraws.
 */
export function watchOnScreen(sources: OnScreenSources, listener: (visible: boolean) => void): () => void {
  const { page } = sources;
  let shown = true;
  let told: boolean | null = null;
  const tell = () => {
    const visible = shown && page?.visibilityState !== 'hidden';
    if (visible === told) return;
    told = visible;
    listener(visible);
  };
  const unshown =
    sources.shown?.((value) => {
      shown = value;
      tell();
    }) ?? null;
  page?.addEventListener('visibilitychange', tell);
  tell();
  return () => {
    unshown?.();
    page?.removeEventListener('visibilitychange', tell);
  };
}
