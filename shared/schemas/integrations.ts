import { z } from 'zod';
import { currencySchema } from './pricing.js';
import { modelNameSchema, projectSchema } from './request-record.js';

/**
 * Configuration of the integrations that bring data in without code: metering-proxy routes and
 * launcher watchers. Both are edited through the API and the Settings view.
 */

/** The wire protocol a route speaks; llama.cpp, vLLM and LM Studio speak `openai`. */
export const PROXY_PROTOCOLS = ['openai', 'anthropic', 'gemini', 'ollama'] as const;
export type ProxyProtocol = (typeof PROXY_PROTOCOLS)[number];

/** A route name is one URL path segment: `/r/<name>/...`. */
export const routeNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a route name is 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit');

/** Refinements run even when the URL check failed: they see null then, and leave that error alone. */
function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * A base URL: http(s), no user:password (a credential there would be sent to the host in clear and
 * shown wherever the URL is; keys go in the key field), no query or fragment (they were dropped).
 */
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL such as http://127.0.0.1:8080' })
  .max(2048)
  .refine((value) => {
    const url = parseUrl(value);
    return url === null || (url.username === '' && url.password === '');
  }, 'baseUrl must not hold a user name or password (user:pw@): put the API key in the channel\'s key field')
  .refine((value) => {
    const url = parseUrl(value);
    return url === null || (url.search === '' && url.hash === '');
  }, 'baseUrl must not hold a query (?...) or fragment (#...): give the address the paths are appended to');

/** Labels end up in log lines and notifications: one line of visible text. */
const labelSchema = z
  .string()
  .max(128)
  .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, 'a label is one line of text without control characters');

/**
 * An API key goes into an HTTP header as it is: visible ASCII only. A key pasted with a line break, a
 * space, a zero-width or non-breaking space would be refused by every call, so it is refused here.
 */
export const apiKeySchema = z
  .string()
  .trim()
  .min(1, 'the API key is blank: type the key, or leave the field out to keep the held one')
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, 'the API key holds a space, line break or invisible character (check what was pasted): keys are visible ASCII characters only');

export const channelIdSchema = z.string().regex(/^[a-z0-9]{1,32}$/, 'a channel id is 1-32 characters of a-z and 0-9');

/**
 * One upstream of a route. `apiKey`: a string gives the app a key to hold (it replaces whatever
 * credential the client sends), null forgets the held key, absent keeps the key already held for the
 * channel with this `id` (so editing a route does not mean typing keys again).
 */
export const proxyChannelInputSchema = z.strictObject({
  id: channelIdSchema.optional(),
  baseUrl: httpUrl,
  label: labelSchema.optional(),
  apiKey: apiKeySchema.nullable().optional(),
});
export type ProxyChannelInput = z.input<typeof proxyChannelInputSchema>;

export const proxyRouteInputSchema = z.strictObject({
  protocol: z.enum(PROXY_PROTOCOLS),
  /** By priority: the first is tried first, the next ones on retryable failures. */
  channels: z
    .array(proxyChannelInputSchema)
    .min(1, 'a route needs at least one channel')
    .max(32)
    // Two rows with one id would share one held key, each sending it to its own base URL.
    .superRefine((channels, ctx) => {
      const seen = new Set<string>();
      channels.forEach((channel, index) => {
        if (channel.id === undefined) return;
        if (seen.has(channel.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `channel id ${channel.id} is listed twice: each channel appears once` });
        seen.add(channel.id);
      });
    }),
  /** Ask OpenAI-compatible upstreams for usage in streams (`stream_options.include_usage`). */
  includeUsage: z.boolean().default(false),
  /** How long to wait for an upstream's response headers, and for each chunk after them. */
  timeoutSeconds: z.number().int().min(1).max(3600).default(300),
  enabled: z.boolean().default(true),
  /** The project recorded on this route's calls unless a call names its own (X-ModelMeter-Project). */
  project: projectSchema.optional(),
});
export type ProxyRouteInput = z.input<typeof proxyRouteInputSchema>;
export type ProxyRouteParsed = z.output<typeof proxyRouteInputSchema>;

export const WATCHER_KINDS = ['llama-swap', 'ollama', 'llama-cpp'] as const;
export type WatcherKind = (typeof WATCHER_KINDS)[number];

export const watcherIdSchema = z.string().regex(/^[a-z0-9]{1,32}$/, 'a watcher id is 1-32 characters of a-z and 0-9');

export const watcherInputSchema = z.strictObject({
  kind: z.enum(WATCHER_KINDS),
  baseUrl: httpUrl,
  /** Watchers are off until the user turns them on. */
  enabled: z.boolean().default(false),
  /** Polling period for Ollama and llama.cpp (llama-swap pushes its events). */
  pollSeconds: z.number().int().min(1).max(3600).default(5),
  /** llama.cpp: the name to record when `/props` names no model. */
  model: modelNameSchema.optional(),
  label: labelSchema.optional(),
});
export type WatcherInput = z.input<typeof watcherInputSchema>;
export type WatcherParsed = z.output<typeof watcherInputSchema>;

/** `POST /api/v1/import`: a database file on the machine running ModelMeter. */
export const importRequestSchema = z.strictObject({
  path: z.string().min(1, 'path is the database file to import').max(4096),
  currency: currencySchema.optional(),
  programRuntime: z.enum(['skip', 'as-model']).optional(),
});
export type ImportRequest = z.input<typeof importRequestSchema>;
