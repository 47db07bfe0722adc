import type { IncomingHttpHeaders } from 'node:http';
import { branchSchema, projectSchema } from '../../../shared/schemas/request-record.js';

/** Request headers that say which project (and git branch) a proxied call is for; never forwarded. */
export const PROJECT_HEADER = 'x-modelmeter-project';
export const BRANCH_HEADER = 'x-modelmeter-branch';
export const ATTRIBUTION_HEADERS = [PROJECT_HEADER, BRANCH_HEADER] as const;

export type Attribution = { project: string | null; branch: string | null } | { error: string };

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The call's project and branch: its headers, else the route's project. Header values are bytes
 * as sent (Node reads them as latin1); a client that sends a UTF-8 path percent-encodes it, which
 * is decoded here. A value the ledger would refuse is an error the caller answers with, before
 * anything is forwarded.
 */
export function attributionOf(headers: IncomingHttpHeaders, routeProject: string | undefined): Attribution {
  const project = decode(single(headers[PROJECT_HEADER]));
  const branch = decode(single(headers[BRANCH_HEADER]));
  if (project !== undefined) {
    const parsed = projectSchema.safeParse(project);
    if (!parsed.success) return { error: `X-ModelMeter-Project: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  }
  if (branch !== undefined) {
    const parsed = branchSchema.safeParse(branch);
    if (!parsed.success) return { error: `X-ModelMeter-Branch: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  }
  return { project: project ?? routeProject ?? null, branch: branch ?? null };
}

function decode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/%[0-9a-fA-F]{2}/.test(trimmed)) return trimmed;
  try {
    return decodeURIComponent(trimmed);
  } catch {
    return trimmed;
  }
}
