/**
 * The named ranges of the summary and history queries. Kept apart from the query schemas so the
 * dashboard's first view can name them without loading the validation library.
 */
export const RANGE_PRESETS = ['1h', '6h', '24h', 'today', '7d', '30d'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
