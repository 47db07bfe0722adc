export { ModelMeterClient, type CallOptions, type EventsOptions, type Health, type ModelMeterClientOptions } from './client.js';
export { LedgerEventStream } from './events.js';
export { ApiError, type ErrorBody, type ErrorCode, type ErrorDetail } from '../errors.js';
