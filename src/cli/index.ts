/** The `logstore` command: the composition root and the dispatch to subcommands. */
import { isLokiError } from '../core/index.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './flags.js';

const USAGE = `Usage: logstore <command> [options]

Commands:
  serve        run the server (Loki HTTP API)
  query        run a LogQL query and print lines or a table
  labels       list label names, or the values of one label
  series       list the streams matching selectors
  tail         follow a log query live
  push         push lines from stdin or files, or follow files (--follow)
  demo         push a realistic e-commerce workload and print queries to try

Run 'logstore <command> --help' (or 'logstore help <command>') for a command's options.
Exit codes: 0 success, 1 failure while running (server unreachable or failing, I/O),
2 bad input (unknown flag, bad value, bad config, request refused as invalid),
130 a second Ctrl-C cut a clean stop short.
`;

// Loaded on demand: client commands start without loading the server (fastify, LevelDB).
const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: async (args) => (await import('./serve.js')).serve(args),
  query: async (args) => (await import('./query.js')).query(args),
  labels: async (args) => (await import('./query.js')).labels(args),
  series: async (args) => (await import('./query.js')).series(args),
  tail: async (args) => (await import('./query.js')).tail(args),
  push: async (args) => (await import('./push.js')).push(args),
  demo: async (args) => (await import('./demo.js')).demo(args),
};

export async function main(argv: string[]): Promise<number> {
  // `logstore query ... | head` closes our stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  if (argv[0] === 'help' && argv.length > 1) argv = [argv[1], '--help'];
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    (command ? process.stdout : process.stderr).write(USAGE);
    return command ? 0 : EXIT_USAGE;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`logstore: unknown command '${command}' (see 'logstore --help')\n`);
    return EXIT_USAGE;
  }
  if (command !== 'serve') {
    // A client command reports even an error from a callback as one line (the server keeps
    // Node's full report: its operators want the stack).
    const die = (e: unknown) => {
      report(command, e);
      process.exit(EXIT_FAILURE);
    };
    process.on('uncaughtException', die);
    process.on('unhandledRejection', die);
  }
  try {
    return await run(rest);
  } catch (e) {
    report(command, e);
    if (e instanceof CliError) return e.exitCode;
    // The shared vocabulary's client errors (a bad config file, say) are bad input too.
    if (isLokiError(e) && e.status < 500) return EXIT_USAGE;
    return EXIT_FAILURE;
  }
}

/** One line on stderr; the stack too when LOGSTORE_DEBUG is set (and the error is not ours). */
function report(command: string, e: unknown): void {
  const message = (e as Error)?.message?.split('\n')[0] || String(e);
  process.stderr.write(`logstore ${command}: ${message}\n`);
  if (process.env.LOGSTORE_DEBUG && !(e instanceof CliError) && (e as Error)?.stack) {
    process.stderr.write(`${(e as Error).stack}\n`);
  }
}
