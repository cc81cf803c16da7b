/** `logstore serve`: the server, configured from a YAML file, environment and flags. */
import { loadConfig } from '../config/index.js';
import { startApp } from '../server/index.js';
import { type CommandSpec, parseFlags, usage } from './flags.js';
import { onInterrupt } from './signals.js';

const SERVE_FLAGS = {
  listen: { type: 'string', value: 'HOST:PORT', env: 'LOGSTORE_LISTEN', default: '127.0.0.1:3100', help: 'address to listen on (port 0: any free port)' },
  'data-dir': { type: 'string', value: 'DIR', env: 'LOGSTORE_DATA_DIR', default: './data', help: 'where WAL, index and chunks live' },
  'auth-enabled': { type: 'boolean', env: 'LOGSTORE_AUTH_ENABLED', help: 'multi-tenant mode: X-Scope-OrgID required' },
  config: { type: 'string', value: 'FILE', env: 'LOGSTORE_CONFIG', help: 'YAML configuration file (see docs/configuration.md)' },
} as const;

export const SERVE: CommandSpec<typeof SERVE_FLAGS> = {
  name: 'serve',
  args: '',
  summary: 'Run the server: the Loki HTTP API (push, query, labels, series, tail) on one port.',
  details: 'Settings come from defaults, then the --config file, then environment variables, then flags.\nSIGINT/SIGTERM flush memory to storage before exiting; a second one exits at once (the WAL keeps the rest).',
  minArgs: 0,
  maxArgs: 0,
  flags: SERVE_FLAGS,
  examples: ['logstore serve --data-dir /var/lib/logstore --listen 0.0.0.0:3100'],
};

export async function serve(argv: string[]): Promise<number> {
  // The configuration module applies environment variables and defaults itself (file < env <
  // flags), so only flags given on the command line are passed on.
  const { flags, help } = parseFlags(SERVE, argv, { applyDefaults: false });
  if (help) {
    process.stdout.write(usage(SERVE));
    return 0;
  }
  const config = loadConfig({
    file: flags.config,
    env: process.env,
    flags: { listen: flags.listen, dataDir: flags['data-dir'], authEnabled: flags['auth-enabled'] || undefined },
  });
  const app = await startApp(config);
  process.stdout.write(
    `logstore listening on ${app.url} (data in ${config.dataDir}, auth ${config.authEnabled ? 'enabled' : 'disabled'})\n`,
  );
  let failed = false;
  let dispose = () => {};
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stdout.write('stopping: flushing to storage\n');
      app.close().then(resolve, (e) => {
        process.stderr.write(`logstore serve: error while stopping: ${(e as Error).message}\n`);
        failed = true;
        resolve();
      });
    };
    dispose = onInterrupt(stop, 'what was not flushed is in the WAL and is replayed at the next start');
  });
  dispose();
  return failed ? 1 : 0;
}
