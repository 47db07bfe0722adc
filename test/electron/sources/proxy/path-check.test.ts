import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { climbsOut } from '../../../../electron/sources/proxy/path-check.js';

/**
 * The proxy appends the client's path to a channel's base path. Whatever reading the server behind it
 * applies (WHATWG resolution, decoding once or twice, `\` as a separator, `;params` dropped), a path
 * the check lets through must stay under the base path.
 */

const pieces = ['a', 'v1', '.', '..', '%2e', '%2E', '%2f', '%2F', '%5c', '%25', '%252e', '%', '\\', ';', ';x', '/', '//', 'x.y', '.a', '%00', '%09', '%20', '%e4%b8%ad', '%e4'];
const paths = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((parts) => `/${parts.join('')}`);

function decode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** How servers behind the proxy may read a path before resolving it. */
function readings(path: string): string[] {
  const once = decode(path);
  const twice = decode(once);
  const out: string[] = [];
  for (const variant of [path, once, twice]) {
    const slashes = variant.replaceAll('\\', '/');
    out.push(variant, slashes, slashes.replace(/;[^/]*/g, ''));
  }
  return out;
}

function staysUnderBase(reading: string): boolean {
  const resolved = new URL(`http://upstream.test/base${reading.startsWith('/') ? '' : '/'}${reading}`).pathname;
  return resolved === '/base' || resolved.startsWith('/base/');
}

describe('proxy path check', () => {
  it('lets nothing through that resolves outside the base path under any reading', () => {
    fc.assert(
      fc.property(paths, (path) => {
        if (climbsOut(path)) return;
        for (const reading of readings(path)) expect(staysUnderBase(reading), `${path} read as ${reading}`).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a dot segment in any spelling, wherever it sits', () => {
    const dots = ['..', '.', '%2e%2e', '%2E.', '.%2e', '%252e%252e', '%2e'];
    const seps = ['/', '%2f', '%2F', '%5c', '\\', ';x/', '%252f'];
    const safe = fc.array(fc.constantFrom('v1', 'models', 'gpt-4.1', 'a%20b', 'x..y'), { maxLength: 4 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(safe, fc.constantFrom(...dots), fc.constantFrom(...seps), safe, (before, dot, sep, after) => {
        const path = `/${before}${before ? '/' : ''}${dot}${sep}${after}`;
        expect(climbsOut(path), path).toBe(true);
      }),
    );
  });

  it('lets ordinary API paths through', () => {
    for (const path of ['', '/', '/v1/chat/completions', '/v1beta/models/gemini-2.5-pro:streamGenerateContent', '/api/chat', '/v1/files/a%2fb', '/v1/x..y', '/v1/.well-known']) {
      expect(climbsOut(path), path).toBe(false);
    }
  });
});
