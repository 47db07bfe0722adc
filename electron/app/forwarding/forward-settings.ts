import os from 'node:os';
import { z } from 'zod';
import { forwardTargetSchema } from '../../../shared/schemas/forwarding.js';
import { hostSchema } from '../../../shared/schemas/request-record.js';
import { parseInput } from '../../ledger/input/validation.js';

/** What the settings store keeps (the token is not here: see ForwardTokenVault). */
export interface StoredForwarding {
  enabled: boolean;
  targetUrl: string | null;
  hostName: string | null;
}

/** Forwarding given on the command line (--forward-to, --forward-token, --forward-host): on for this run. */
export interface CommandLineForwarding {
  targetUrl: string;
  token: string;
  hostName?: string;
}

export const FORWARDING_CONFIG_KEY = 'forwarding';

const storedSchema = z.object({
  enabled: z.boolean().catch(false),
  targetUrl: z.string().nullable().catch(null),
  hostName: z.string().nullable().catch(null),
});

export function readStored(raw: unknown): StoredForwarding {
  const parsed = storedSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : { enabled: false, targetUrl: null, hostName: null };
}

/** The base URL as the target's dashboard link shows it; a pasted API URL (…/api/v1) means the same. */
export function normaliseTarget(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

/** The OS host name, made valid as a host (at most 64 visible characters). */
export function defaultHostName(): string {
  const name = os.hostname().replace(/[\p{Cc}]/gu, '').trim().slice(0, 64);
  return name || 'modelmeter';
}

/** The first and last characters of a token, never the token. */
export function maskToken(token: string | null): string | null {
  if (token === null) return null;
  return token.length < 10 ? '…' : `${token.slice(0, 3)}…${token.slice(-2)}`;
}

const commandLineSchema = z.strictObject({
  targetUrl: forwardTargetSchema,
  token: z.string({ error: '--forward-token (or MODELMETER_FORWARD_TOKEN) is required with --forward-to' }).trim().min(1, '--forward-token must not be empty').max(512),
  hostName: hostSchema.optional(),
});

/**
 * The command line's forwarding options (or their MODELMETER_FORWARD_* variables), checked; null when
 * --forward-to is not given. Throws an ApiError naming the option.
 */
export function parseCommandLineForwarding(values: { to?: string | undefined; token?: string | undefined; host?: string | undefined }): CommandLineForwarding | null {
  if (values.to === undefined || values.to === '') {
    if (values.token || values.host) throw new Error('--forward-token and --forward-host need --forward-to URL');
    return null;
  }
  const parsed = parseInput(commandLineSchema, { targetUrl: values.to, token: values.token, ...(values.host ? { hostName: values.host } : {}) }, '--forward-to options');
  return { ...parsed, targetUrl: normaliseTarget(parsed.targetUrl) };
}
