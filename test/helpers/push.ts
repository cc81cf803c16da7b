/** Builds push bodies the way real clients do: protobuf + snappy block (Promtail) or JSON. */
import SnappyJS from 'snappyjs';
import { PushRequestMessage } from '../../src/distributor/index.js';

export interface TestStream {
  labels: string;
  entries: { ts: bigint; line: string; metadata?: Record<string, string> }[];
}

export function protoBody(streams: TestStream[]): Buffer {
  const msg = PushRequestMessage.create({
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.entries.map((e) => ({
        timestamp: { seconds: (e.ts / 1_000_000_000n).toString(), nanos: Number(e.ts % 1_000_000_000n) },
        line: e.line,
        structuredMetadata: Object.entries(e.metadata ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
  });
  return Buffer.from(SnappyJS.compress(PushRequestMessage.encode(msg).finish()));
}

export async function pushProto(url: string, streams: TestStream[], headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...headers },
    body: protoBody(streams),
  });
}

export async function pushJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
