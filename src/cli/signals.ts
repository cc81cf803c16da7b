/**
 * Ctrl-C and SIGTERM: the first asks the command to finish cleanly (send what was read, flush,
 * save positions); a second one, for when that takes too long (a server that keeps refusing),
 * exits at once with 130 after saying what is left undone.
 */
export const EXIT_INTERRUPTED = 130;

/**
 * Calls `stop` on the first SIGINT/SIGTERM; on the next one prints `leftUndone` and exits.
 * Returns a function that removes the handlers.
 */
export function onInterrupt(stop: () => void, leftUndone: string): () => void {
  let interrupted = false;
  const handler = () => {
    if (interrupted) {
      process.stderr.write(`\ninterrupted again: ${leftUndone}\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
