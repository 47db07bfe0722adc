/**
 * Messages come in pairs: the English text is the source of the keys, and the Chinese table must
 * have exactly the same keys (the compiler says which one is missing). `{name}` marks a parameter.
 */
export function defineMessages<const E extends Record<string, string>>(en: E, zh: { [K in keyof E]: string }): { en: E; zh: { [K in keyof E]: string } } {
  return { en, zh };
}
