/** The `logstore` command: the composition root. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config/index.js';
import { startApp } from '../server/index.js';

const USAGE = `Usage: logstore <command> [options]

Commands:
  serve        run the server (Loki HTTP API)

Run 'logstore <command> --help' for a command's options.
`;

const SERVE_USAGE = `Usage: logstore serve [options]

Options:
  --listen HOST:PORT   address to listen on (env LOGSTORE_LISTEN, default 127.0.0.1:3100)
  --data-dir DIR       where WAL, index and chunks live (env LOGSTORE_DATA_DIR, default ./data)
  --auth-enabled       multi-tenant mode: X-Scope-OrgID required (env LOGSTORE_AUTH_ENABLED)
  --config FILE        YAML configuration file (env LOGSTORE_CONFIG); see docs/configuration.md
  -h, --help           show this help
`;

class UsageError extends Error {}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, {
    listen: { type: 'string' },
    'data-dir': { type: 'string' },
    'auth-enabled': { type: 'boolean' },
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  const config = loadConfig({
    file: values.config as string | undefined,
    env: process.env,
    flags: {
      listen: values.listen as string | undefined,
      dataDir: values['data-dir'] as string | undefined,
      authEnabled: values['auth-enabled'] as boolean | undefined,
    },
  });
  const app = await startApp(config);
  process.stdout.write(
    `logstore listening on ${app.url} (data in ${config.dataDir}, auth ${config.authEnabled ? 'enabled' : 'disabled'})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`${signal}: flushing to storage and stopping\n`);
      app.close().then(resolve, (e) => {
        process.stderr.write(`logstore: error while stopping: ${(e as Error).message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return process.exitCode === 1 ? 1 : 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { serve };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`logstore: unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`logstore ${command}: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`logstore ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}
