import type { Language } from '../../../../shared/app.js';
import { common } from './messages/common.js';
import { channels } from './messages/channels.js';
import { data } from './messages/data.js';
import { models } from './messages/models.js';
import { overview } from './messages/overview.js';
import { pricing } from './messages/pricing.js';
import { quick } from './messages/quick.js';
import { settings } from './messages/settings.js';
import { budgets } from './messages/budgets.js';
import { agents } from './messages/agents.js';
import { monitoring } from './messages/monitoring.js';
import { forwarding } from './messages/forwarding.js';

const en = { ...common.en, ...overview.en, ...quick.en, ...models.en, ...channels.en, ...pricing.en, ...data.en, ...settings.en, ...budgets.en, ...agents.en, ...monitoring.en, ...forwarding.en };
const zh = { ...common.zh, ...overview.zh, ...quick.zh, ...models.zh, ...channels.zh, ...pricing.zh, ...data.zh, ...settings.zh, ...budgets.zh, ...agents.zh, ...monitoring.zh, ...forwarding.zh };

export type MessageKey = keyof typeof en;
export type MessageParams = Record<string, string | number>;

const tables: Record<Language, Record<MessageKey, string>> = { en, 'zh-CN': zh };

/** The OS or browser language when it is Chinese (any zh variant reads Simplified here), else English. */
export function systemLanguage(languages: readonly string[] = globalThis.navigator?.languages ?? []): Language {
  return languages.some((tag) => tag.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

export function translate(language: Language, key: MessageKey, params?: MessageParams): string {
  const text = tables[language][key] ?? tables.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The language the UI speaks: the user's choice, else the system's. Reactive (Svelte 5 runes). */
class I18n {
  choice = $state<Language | null>(null);
  system = $state<Language>(systemLanguage());
  readonly language = $derived<Language>(this.choice ?? this.system);

  t = (key: MessageKey, params?: MessageParams): string => translate(this.language, key, params);
}

export const i18n = new I18n();
export const t = i18n.t;
