/** The most buckets one history answers with (apart from the query schemas, so the ledger's threads need no zod). */
export const MAX_BUCKETS = 5_000;
