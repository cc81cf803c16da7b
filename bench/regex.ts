/**
 * Throughput of LogQL regexes over typical log lines: compileRe2 (the translated pattern on
 * V8, or re2js where it falls back) against a plain JS RegExp and re2js on the same pattern,
 * plus the time a catastrophic-backtracking pattern takes. Run: npx tsx bench/regex.ts
 */
import { RE2JS } from 're2js';
import { compileRe2 } from '../src/core/index.js';

const LINES: string[] = [];
for (let i = 0; i < 20_000; i++) {
  LINES.push(
    `level=${i % 13 === 0 ? 'error' : 'info'} ts=2024-05-01T06:00:${String(i % 60).padStart(2, '0')}Z ` +
      `caller=main.go:${i} msg="request handled" method=GET path=/api/v1/users/${i} ` +
      `status=${i % 7 === 0 ? 500 : 200} duration=${i % 100}ms`,
  );
}
const BYTES = LINES.reduce((n, l) => n + Buffer.byteLength(l), 0);

/** MB/s of `test` over all lines, run for about half a second. */
function throughput(test: (line: string) => boolean): string {
  const start = performance.now();
  let rounds = 0;
  let hits = 0;
  while (performance.now() - start < 500) {
    for (const line of LINES) if (test(line)) hits++;
    rounds++;
  }
  const seconds = (performance.now() - start) / 1000;
  return `${((BYTES * rounds) / seconds / 1e6).toFixed(0).padStart(6)} MB/s (${hits / rounds} hits)`;
}

const TYPICAL = [
  'error',
  'status=5\\d\\d',
  'error|timeout|refused',
  '(?i)ERROR',
  'duration=\\d+ms$',
  'msg="[^"]*handled"',
  '.*users/1.*',
  'path=/api/v1/users/(?P<id>\\d+)',
  '[0-9a-f]{32}',
  '(?m)^level=error',
];

console.log(`${LINES.length} lines, ${(BYTES / 1e6).toFixed(1)} MB per round\n`);
console.log(`${'pattern'.padEnd(34)}${'compileRe2'.padEnd(28)}${'plain JS RegExp'.padEnd(28)}re2js`);
for (const pattern of TYPICAL) {
  const ours = compileRe2(pattern);
  const engine = ours.constructor === RegExp ? '' : ' [re2js]';
  let plain = 'n/a';
  try {
    const js = new RegExp(pattern.replace(/^\(\?i\)/, '').replace(/^\(\?m\)/, '').replace('(?P<', '(?<'), pattern.startsWith('(?i)') ? 'i' : pattern.startsWith('(?m)') ? 'm' : '');
    plain = throughput((l) => js.test(l));
  } catch {
    // not JS syntax
  }
  const re2 = RE2JS.compile(pattern);
  console.log(
    `${pattern.padEnd(34)}${(throughput((l) => ours.test(l)) + engine).padEnd(28)}${plain.padEnd(28)}${throughput((l) => re2.test(l))}`,
  );
}

console.log('\ncatastrophic backtracking, `(a+)+$` on "a"×n + "!":');
const patho = compileRe2('(a+)+$');
for (const n of [30, 1_000, 100_000]) {
  const line = `${'a'.repeat(n)}!`;
  const start = performance.now();
  const matched = patho.test(line);
  console.log(`  n=${String(n).padEnd(7)} ${(performance.now() - start).toFixed(1).padStart(8)} ms  match=${matched}`);
}
console.log('  (a plain JS RegExp never finishes for n=30 and beyond)');
