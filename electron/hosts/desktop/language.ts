import type { Language } from '../../../shared/app.js';

/** The OS's first preferred language, narrowed to the two the app speaks (any Chinese -> zh-CN). */
export function systemLanguage(preferred: readonly string[]): Language {
  const first = preferred[0]?.toLowerCase() ?? 'en';
  return first.startsWith('zh') ? 'zh-CN' : 'en';
}

export function effectiveLanguage(chosen: Language | null, preferred: readonly string[]): Language {
  return chosen ?? systemLanguage(preferred);
}
