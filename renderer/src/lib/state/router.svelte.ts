/**
 * Hash routes (`#/models/gpt-5-mini`), so the same build works from file:// in the desktop window
 * and from the headless server, and a reload keeps the view.
 */
export const VIEWS = ['overview', 'models', 'channels', 'pricing', 'budgets', 'data', 'settings', 'quick'] as const;
export type ViewName = (typeof VIEWS)[number];

export interface Route {
  view: ViewName;
  /** Path segments after the view, decoded (a model name may hold "/"). */
  rest: string[];
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split(/[?&]/)[0] ?? '';
  const [head = '', ...rest] = path.split('/');
  const view = (VIEWS as readonly string[]).includes(head) ? (head as ViewName) : 'overview';
  return { view, rest: rest.map((part) => safeDecode(part)) };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function hrefOf(view: ViewName, ...rest: string[]): string {
  return `#/${[view, ...rest.map(encodeURIComponent)].join('/')}`;
}

class Router {
  route = $state<Route>(parseRoute(globalThis.location?.hash ?? ''));

  constructor() {
    globalThis.addEventListener?.('hashchange', () => {
      this.route = parseRoute(globalThis.location.hash);
    });
  }

  go(view: ViewName, ...rest: string[]): void {
    globalThis.location.hash = hrefOf(view, ...rest);
  }
}

export const router = new Router();
