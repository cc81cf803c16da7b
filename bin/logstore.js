#!/usr/bin/env node
// Entry point of the installed command; the compiled CLI lives in dist/.
import { main } from '../dist/cli/index.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => {
    process.stderr.write(`logstore: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
