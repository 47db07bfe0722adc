import { z } from 'zod';
import { RANGE_PRESETS } from '../range-presets.js';
import { apiTypeSchema, hostSchema, metricsKeySchema, modelNameSchema, projectSchema } from './request-record.js';

export { LOCAL_HOST } from '../local-host.js';
import { timeSchema } from './time.js';

export { RANGE_PRESETS, type RangePreset } from '../range-presets.js';

// Query strings arrive as text; numbers are coerced here so both transports share one schema.
const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** A time range: explicit from/to, or a preset; the default is "today". */
const rangeFields = {
  from: timeSchema.optional(),
  to: timeSchema.optional(),
  range: z.enum(RANGE_PRESETS).optional(),
};

export const summaryQuerySchema = z.strictObject({
  ...rangeFields,
  /** Only this project's requests (its path as recorded); the summary's byProject is always there. */
  project: projectSchema.optional(),
  /** Only records from this machine (a host name as forwarded, or LOCAL_HOST for this one); byHost is there when other machines forward here. */
  host: hostSchema.optional(),
});
export type SummaryQuery = z.input<typeof summaryQuerySchema>;

export { MAX_BUCKETS } from '../query-limits.js';

/** What a history's rows can be split by. */
export const HISTORY_GROUPS = ['model', 'project', 'host', 'channel'] as const;

export const historyQuerySchema = z.strictObject({
  ...rangeFields,
  /**
   * Bucket width in seconds, or 'auto': about 150 buckets of a nice width, whole hours at least past
   * 12 hours (24 h: hourly), whole local days past 10 days (docs/design.md).
   */
  interval: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(366 * 86_400)])
    .default('auto'),
  model: modelNameSchema.optional(),
  metricsKey: metricsKeySchema.optional(),
  /** Channels at this endpoint (ccx's QueryAggregatedHistory baseURL filter). */
  baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL' }).optional(),
  apiType: apiTypeSchema.optional(),
  project: projectSchema.optional(),
  host: hostSchema.optional(),
  /**
   * One row per model, project, host or channel (its metricsKey and apiType; null for requests sent
   * through none) at each bucket, instead of one row of everything. The rows always add up to it.
   */
  groupBy: z.enum(HISTORY_GROUPS).optional(),
});
export type HistoryQuery = z.input<typeof historyQuerySchema>;
export type HistoryGroupBy = (typeof HISTORY_GROUPS)[number];

export const runsQuerySchema = z.strictObject({
  model: modelNameSchema.optional(),
  from: timeSchema.optional(),
  to: timeSchema.optional(),
  limit: limit(10_000, 200),
});
export type RunsQuery = z.input<typeof runsQuerySchema>;

export const programRunsQuerySchema = z.strictObject({ limit: limit(10_000, 200) });
export type ProgramRunsQuery = z.input<typeof programRunsQuerySchema>;

export const requestsQuerySchema = z.strictObject({
  model: modelNameSchema.optional(),
  from: timeSchema.optional(),
  to: timeSchema.optional(),
  apiType: apiTypeSchema.optional(),
  metricsKey: metricsKeySchema.optional(),
  project: projectSchema.optional(),
  host: hostSchema.optional(),
  limit: limit(5_000, 100),
  /** The `nextBefore` cursor of the previous page. */
  before: z.string().regex(/^\d{1,16}$/, 'before is the nextBefore cursor of a previous page').optional(),
});
export type RequestsQuery = z.input<typeof requestsQuerySchema>;

export const circuitsQuerySchema = z.strictObject({ apiType: apiTypeSchema.optional() });
export type CircuitsQuery = z.input<typeof circuitsQuerySchema>;

export const circuitEventsQuerySchema = z.strictObject({
  metricsKey: metricsKeySchema.optional(),
  apiType: apiTypeSchema.optional(),
  from: timeSchema.optional(),
  to: timeSchema.optional(),
  limit: limit(10_000, 500),
});
export type CircuitEventsQuery = z.input<typeof circuitEventsQuerySchema>;

export const circuitResetQuerySchema = z.strictObject({ apiType: apiTypeSchema });

export const cleanupBodySchema = z.strictObject({ before: timeSchema });
export type CleanupBody = z.input<typeof cleanupBodySchema>;

/** What a cleanup (`before`) or a retention setting (`retentionDays`) would remove: one of the two. */
export const cleanupPreviewBodySchema = z
  .strictObject({ before: timeSchema.optional(), retentionDays: z.number().int().min(1).max(36_500).optional() })
  .refine((body) => (body.before === undefined) !== (body.retentionDays === undefined), { message: 'give either before or retentionDays' });
export type CleanupPreviewBody = z.input<typeof cleanupPreviewBodySchema>;

export const exportQuerySchema = z.strictObject({
  format: z.enum(['csv', 'json']).default('csv'),
  ...rangeFields,
  model: modelNameSchema.optional(),
  project: projectSchema.optional(),
  host: hostSchema.optional(),
});
export type ExportQuery = z.input<typeof exportQuerySchema>;

export const projectsQuerySchema = z.strictObject({ limit: limit(10_000, 1_000) });
export type ProjectsQuery = z.input<typeof projectsQuerySchema>;
