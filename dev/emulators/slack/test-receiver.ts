/**
 * A stand-in for the app's interactivity endpoint in tests: records raw requests and checks Slack's
 * signature with its own HMAC (not the emulator's helper), so a wrong signature cannot pass.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  /** Status the receiver answers with (default 200); `delayMs` holds the answer back. */
  respond: { status: number; delayMs: number };
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const respond = { status: 200, delayMs: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      });
      setTimeout(() => {
        res.writeHead(respond.status);
        res.end();
      }, respond.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/slack/interactions`,
    received,
    respond,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Verifies `X-Slack-Signature` the way bolt does: v0=HMAC-SHA256(secret, `v0:${ts}:${raw body}`), 5-minute window. */
export function signatureValid(
  request: ReceivedRequest,
  signingSecret: string,
  nowSec = Math.floor(Date.now() / 1000),
): boolean {
  const ts = request.headers['x-slack-request-timestamp'];
  const signature = request.headers['x-slack-signature'];
  if (typeof ts !== 'string' || typeof signature !== 'string' || Math.abs(nowSec - Number(ts)) > 300) return false;
  const expected = Buffer.from(
    `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${request.rawBody}`).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function payloadOf(request: ReceivedRequest): Record<string, unknown> {
  return JSON.parse(new URLSearchParams(request.rawBody).get('payload') ?? 'null') as Record<string, unknown>;
}
