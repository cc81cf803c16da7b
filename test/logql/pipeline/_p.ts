import { labelsFromRecord } from '../../../src/core/index.js';
import { buildPipeline } from '../../../src/logql/pipeline/index.js';
import { parseExpr, type LogExpr } from '../../../src/logql/syntax/index.js';
const L: string[] = [];
for (let i = 0; i < 20000; i++) L.push(`level=${i % 13 ? 'info' : 'error'} ts=2024-05-01T06:00:${i % 60}Z caller=main.go:${i} msg="request handled" method=GET path=/api/v1/users/${i % 50} status=200 duration=${i % 100}ms`);
const sp = buildPipeline((parseExpr(process.argv[2]) as LogExpr).stages).forStream(labelsFromRecord({ app: 'api' }));
const t = performance.now(); let n = 0;
while (performance.now() - t < 5000) { for (let i = 0; i < L.length; i++) sp.process(1n, L[i], []); n += L.length; }
console.log(n / ((performance.now() - t) / 1000));
