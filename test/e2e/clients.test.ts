/**
 * Real npm push clients against a real server on 127.0.0.1: what they send must come back
 * exactly (labels, ns timestamps, lines, structured metadata), from memory and after restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import { startTestApp, readAll, type TestApp } from '../helpers/app.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.destroy();
  app = undefined;
});

async function waitFor<T>(read: () => Promise<T[]>, count: number, timeoutMs = 10_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await read();
    if (got.length >= count || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function winstonLogger(host: string, json: boolean) {
  const transport = new LokiTransport({
    host,
    json,
    labels: { app: 'checkout', env: 'test' },
    batching: true,
    interval: 0.2,
    replaceTimestamp: false,
    onConnectionError: (e: unknown) => {
      throw e;
    },
  });
  const logger = winston.createLogger({ transports: [transport] });
  return { logger, transport };
}

describe('winston-loki', () => {
  for (const json of [false, true]) {
    it(`pushes in ${json ? 'JSON' : 'protobuf+snappy'} mode and reads back exactly`, async () => {
      app = await startTestApp();
      const { logger, transport } = winstonLogger(app.url, json);
      // winston-loki silently falls back to JSON when its snappy module is missing.
      const batcher = (transport as unknown as { batcher: { options: { json: boolean }; contentType: string } }).batcher;
      expect(batcher.options.json).toBe(json);
      expect(batcher.contentType).toBe(json ? 'application/json' : 'application/x-protobuf');

      const t0 = Date.now() - 5000;
      for (let i = 0; i < 50; i++) {
        logger.info({ message: `order ${i} placed`, labels: { level: 'info' }, timestamp: t0 + i });
      }
      await new Promise<void>((resolve) => transport.flush().then(() => resolve(), () => resolve()));
      const got = await waitFor(() => readAll(app!, 'fake', ['app', 'checkout']), 50);
      // winston-loki appends the remaining meta of the log call to the line as JSON.
      expect(got.map((e) => e.line)).toEqual(Array.from({ length: 50 }, (_, i) => `order ${i} placed {"level":"info"}`));
      expect(got.map((e) => e.ts)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(t0 + i) * 1_000_000n));
      expect(new Set(got.map((e) => e.stream))).toEqual(
        new Set(['{app="checkout", env="test", level="info", service_name="checkout"}']),
      );
      logger.close();
    });
  }
});

describe('pino-loki', () => {
  it('pushes one stream object per line with structured metadata; reads back exactly', async () => {
    app = await startTestApp();
    const stream = pinoLoki({
      host: app.url,
      labels: { app: 'payments' },
      batching: { interval: 0.2 },
      structuredMetaKey: 'meta',
      silenceErrors: false,
    });
    const logger = pino({ level: 'info' }, stream);
    for (let i = 0; i < 20; i++) logger.info({ meta: { trace_id: `t${i}` }, orderId: i }, `payment ${i}`);
    logger.warn('card declined');
    const got = await waitFor(() => readAll(app!, 'fake', ['app', 'payments']), 21);
    expect(got).toHaveLength(21);
    const first = got.find((e) => e.line.includes('"payment 0"'))!;
    expect(JSON.parse(first.line)).toMatchObject({ msg: 'payment 0', orderId: 0 });
    // detected_level (Loki 3) comes from the stream's level label.
    expect(first.metadata).toEqual([{ name: 'detected_level', value: 'info' }, { name: 'trace_id', value: 't0' }]);
    expect(first.stream).toContain('app="payments"');
    expect(first.stream).toContain('level="info"');
    // pino-loki maps pino's numeric levels to Loki level names (40 → warning).
    const declined = got.find((e) => e.line.includes('card declined'))!;
    expect(declined.stream).toContain('level="warning"');
    expect(declined.metadata).toEqual([{ name: 'detected_level', value: 'warn' }]);
    stream.end();
  });
});
