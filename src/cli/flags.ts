/**
 * One small flag and usage helper for every subcommand: a command declares its flags once
 * (type, help text, environment variable, default) and gets both `--help` text and parsing
 * from that declaration, so the two never drift apart. Parsing is `node:util` parseArgs in
 * strict mode; its errors become one-line `UsageError`s.
 */
import { parseArgs } from 'node:util';

/** An error the CLI reports as one line and turns into an exit code, never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

// Exit codes scripts can rely on besides 0 (all listed in docs/cli.md).
/** Something failed while running: unreachable server, server error, I/O error. */
export const EXIT_FAILURE = 1;
/** The input was wrong: unknown flag, bad value, bad config, request refused as invalid. */
export const EXIT_USAGE = 2;

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in the usage text, e.g. `DUR`. */
  value?: string;
  /** Environment variable read when the flag is absent. */
  env?: string;
  default?: string;
  help: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface CommandSpec<F extends FlagSpecs> {
  name: string;
  /** Positional arguments as shown in the usage line, e.g. `'<logql>'`. */
  args: string;
  summary: string;
  /** Extra paragraphs printed after the summary. */
  details?: string;
  flags: F;
  minArgs: number;
  maxArgs: number;
  examples?: string[];
}

type FlagValue<S extends FlagSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['multiple'] extends true
    ? string[]
    : string | undefined;

export type FlagValues<F extends FlagSpecs> = { [K in keyof F]: FlagValue<F[K]> };

export interface Parsed<F extends FlagSpecs> {
  flags: FlagValues<F>;
  args: string[];
  help: boolean;
}

const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', help: 'show this help' };

export function usage<F extends FlagSpecs>(spec: CommandSpec<F>): string {
  const rows: [string, string][] = [];
  for (const [name, f] of Object.entries({ ...spec.flags, help: HELP_FLAG })) {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
    const extras = [f.default !== undefined ? `default ${f.default}` : '', f.env ? `env ${f.env}` : '']
      .filter(Boolean)
      .join(', ');
    rows.push([left, extras ? `${f.help} (${extras})` : f.help]);
  }
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  let out = `Usage: logstore ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]\n\n${spec.summary}\n`;
  if (spec.details) out += `\n${spec.details}\n`;
  out += `\nOptions:\n${rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`).join('\n')}\n`;
  if (spec.examples?.length) out += `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`;
  return out;
}

export interface ParseOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * False when the command hands environment and defaults to another layer (serve's
   * configuration merges file < env < flags): only flags actually given are returned.
   */
  applyDefaults?: boolean;
}

/** Parses argv for a command; flags fall back to their environment variable, then default. */
export function parseFlags<F extends FlagSpecs>(spec: CommandSpec<F>, argv: string[], opts: ParseOptions = {}): Parsed<F> {
  const env = opts.env ?? process.env;
  const applyDefaults = opts.applyDefaults ?? true;
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, f] of Object.entries({ ...spec.flags, help: HELP_FLAG })) {
    options[name] = { type: f.type, multiple: f.multiple ?? false };
    if (f.short) options[name].short = f.short;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${parseErrorText(e as Error & { code?: string })} (see 'logstore ${spec.name} --help')`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const help = values.help === true;
  const flags: Record<string, string | boolean | string[] | undefined> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    let v = values[name];
    if (v === undefined && applyDefaults && f.env && env[f.env]) {
      v = f.type === 'boolean' ? ['1', 'true'].includes(env[f.env]!) : f.multiple ? [env[f.env]!] : env[f.env];
    }
    if (v === undefined && applyDefaults && f.default !== undefined) v = f.multiple ? [f.default] : f.default;
    if (v === undefined && f.type === 'boolean') v = false;
    if (v === undefined && f.multiple) v = [];
    flags[name] = v;
  }
  const args = parsed.positionals;
  if (!help) {
    if (args.length < spec.minArgs) throw new UsageError(`missing argument ${spec.args} (see 'logstore ${spec.name} --help')`);
    if (args.length > spec.maxArgs) {
      throw new UsageError(`unexpected argument '${args[spec.maxArgs]}' (see 'logstore ${spec.name} --help')`);
    }
  }
  return { flags: flags as FlagValues<F>, args, help };
}

/** parseArgs' messages run over several sentences; scripts want one short line. */
function parseErrorText(e: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${option ?? e.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(e.message)
        ? `flag ${option} needs a value`
        : `flag ${option} takes no value`;
    default:
      return e.message.split('\n')[0];
  }
}
