import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];

/** What the command-line programs (serve, demo) share: how they read options and how they give up. */
export interface CommandLine {
  /** One line on stderr, named after the program, and exit status 1. */
  fail(message: string): never;
  /** The options given (`args`, or the process's), or null when --help printed the usage; an unknown or malformed option fails with the usage. */
  parse<const O extends Options>(options: O, args?: string[]): Values<O> | null;
  /** A whole number from 0 to `max`; `fallback` when not given. */
  wholeNumber(text: string | undefined, fallback: number, name: string, max: number): number;
}

export function commandLine(program: string, usage: string): CommandLine {
  const fail = (message: string): never => {
    process.stderr.write(`${program}: ${message}\n`);
    process.exit(1);
  };
  return {
    fail,
    parse<const O extends Options>(options: O, args?: string[]): Values<O> | null {
      let values: Values<O>;
      try {
        ({ values } = parseArgs({ args, options, strict: true }));
      } catch (error) {
        return fail(`${(error as Error).message}\n${usage}`);
      }
      if ((values as { help?: boolean }).help) {
        process.stdout.write(`${usage}\n`);
        return null;
      }
      return values;
    },
    wholeNumber(text, fallback, name, max) {
      if (text === undefined || text === '') return fallback;
      const value = Number(text);
      if (!Number.isInteger(value) || value < 0 || value > max) fail(`${name} must be a whole number from 0 to ${max}, not "${text}"`);
      return value;
    },
  };
}
