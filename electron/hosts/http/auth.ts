import { timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of a presented bearer token with the expected one. */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  if (!header) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
