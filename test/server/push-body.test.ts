/**
 * Push bodies are read into reused buffers (src/server/push.ts): concurrent pushes of varied
 * sizes, with and without Content-Length, must arrive intact, and the body limits must answer
 * as fastify's own body reading did.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll, startTestApp, type TestApp } from '../helpers/app.js';
import { protoBody } from '../helpers/push.js';

/** Above the 2 MiB the body pool keeps, so that bodies past it are read too. */
const LIMIT = 4 * 1024 * 1024;
const NOW = BigInt(Date.now()) * 1_000_000n;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp((c) => {
    c.authEnabled = true;
    c.maxRecvMsgSize = LIMIT;
    c.limits.ingestionRateBytes = 1 << 30;
    c.limits.ingestionBurstBytes = 1 << 30;
    c.limits.perStreamRateBytes = 1 << 30;
    c.limits.perStreamBurstBytes = 1 << 30;
    c.limits.discoverLogLevels = false;
  });
});
afterAll(async () => {
  await app.destroy();
});

/** Lines of random hex (snappy cannot shrink it), so bodies have about the size asked for. */
function lines(push: number, bytes: number): string[] {
  const out: string[] = [];
  for (let n = 0; n * 200 < bytes; n++) out.push(`push ${push} line ${n} ${randomBytes(90).toString('hex')}`);
  return out;
}

/** Sends `body` in pieces without a Content-Length (chunked), as a streaming client does. */
function chunked(body: Buffer): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= body.length) return controller.close();
      controller.enqueue(body.subarray(at, (at += 10_000)));
    },
  });
}

function post(body: Buffer | ReadableStream<Uint8Array>, tenant: string) {
  return fetch(`${app.url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'x-scope-orgid': tenant },
    body,
    duplex: 'half',
  } as RequestInit);
}

describe('push bodies', () => {
  it('arrive intact when many of varied sizes come at once, with and without Content-Length', async () => {
    const sizes = [300_000, 2_000, 700_000, 90_000, 3_000_000, 40, 250_000, 900_000, 60_000, 400_000, 5_000, 650_000];
    const pushes = sizes.map((size, p) => lines(p, size));
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        pushes.map((ls, p) => {
          const body = protoBody([
            { labels: `{app="bodies", push="${p}"}`, entries: ls.map((line, i) => ({ ts: NOW + BigInt(round * 1_000_000 + i), line })) },
          ]);
          return post(p % 2 === round ? chunked(body) : body, 'bodies');
        }),
      );
      for (const res of results) expect([res.status, await res.text()]).toEqual([204, '']);
    }
    const stored = await readAll(app, 'bodies', ['app', 'bodies']);
    for (let p = 0; p < pushes.length; p++) {
      const got = stored.filter((e) => e.stream.includes(`push="${p}"`)).map((e) => e.line);
      expect(got).toEqual([...pushes[p], ...pushes[p]]);
    }
  });

  it('over the limit are refused with 413, whether their length is declared or not', async () => {
    const big = protoBody([{ labels: '{app="big"}', entries: lines(0, 2 * LIMIT).map((line, i) => ({ ts: NOW + BigInt(i), line })) }]);
    expect(big.length).toBeGreaterThan(LIMIT);
    for (const body of [big, chunked(big)]) {
      const res = await post(body, 'big');
      expect(res.status).toBe(413);
      expect(await res.text()).toBe('request body too large: Request body is too large\n');
    }
    // The server goes on taking pushes.
    const ok = await post(protoBody([{ labels: '{app="after"}', entries: [{ ts: NOW, line: 'after' }] }]), 'big');
    expect(ok.status).toBe(204);
    expect((await readAll(app, 'big', ['app', '.+'])).map((e) => e.line)).toEqual(['after']);
  });

  it('shorter than their Content-Length are a 400', async () => {
    const res = await app.server.inject({
      method: 'POST',
      url: '/loki/api/v1/push',
      headers: { 'content-type': 'application/x-protobuf', 'content-length': '100' },
      payload: Buffer.alloc(10),
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toBe('Request body size did not match Content-Length\n');
  });
});
