import { afterEach, describe, expect, it, vi } from 'vitest';
import { commandLine } from '../../../../electron/hosts/core/command-line.js';

const USAGE = 'Usage: tool [--port N]';
const OPTIONS = { port: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** process.exit stopped where it is called, with what was written on the way out. */
function captured() {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
    throw new Error(`exit ${String(code)}`);
  });
  return { stderr, stdout, exit };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a command line', () => {
  it('answers the options given', () => {
    expect(commandLine('tool', USAGE).parse(OPTIONS, ['--port', '80', '--keep'])).toEqual({ port: '80', keep: true });
  });

  it('prints the usage for --help and answers null', () => {
    const { stdout } = captured();
    expect(commandLine('tool', USAGE).parse(OPTIONS, ['-h'])).toBeNull();
    expect(stdout).toHaveBeenCalledWith(`${USAGE}\n`);
  });

  it('fails with the usage on an unknown option, named after the program, with status 1', () => {
    const { stderr, exit } = captured();
    expect(() => commandLine('tool', USAGE).parse(OPTIONS, ['--bogus'])).toThrow('exit 1');
    expect(exit).toHaveBeenCalledWith(1);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(/^tool: .*--bogus.*\nUsage: tool \[--port N\]\n$/s);
  });

  it('reads a whole number within bounds, the fallback when absent, and fails on anything else', () => {
    const cli = commandLine('tool', USAGE);
    expect([cli.wholeNumber(undefined, 7, 'port', 65_535), cli.wholeNumber('', 7, 'port', 65_535), cli.wholeNumber('0', 7, 'port', 65_535)]).toEqual([7, 7, 0]);
    const { stderr } = captured();
    for (const text of ['65536', '-1', '1.5', 'x']) expect(() => cli.wholeNumber(text, 7, 'port', 65_535)).toThrow('exit 1');
    expect(stderr).toHaveBeenCalledWith('tool: port must be a whole number from 0 to 65535, not "x"\n');
  });
});
