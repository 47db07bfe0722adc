/**
 * What the metering proxy knows of each wire protocol: which model and mode a request asks for,
 * and the tokens a response reports, mapped to the canonical semantics of product.md section 1.
 */
export type { RequestInfo, TapResult, TokenUsage, UsageTap } from './types.js';
export { inspectRequest, type RequestInput } from './request.js';
export { createUsageTap, MAX_BUFFERED_BYTES, type TapInput } from './tap.js';
