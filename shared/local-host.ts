/**
 * The `host` filter's value for this machine's own records (those no other ModelMeter forwarded).
 * Kept apart from the schemas so the dashboard's first page can use it without loading zod.
 */
export const LOCAL_HOST = '@local';
