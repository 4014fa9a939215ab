/** Test helpers for the Meraki emulator: Link parsing, authenticated GETs and a webhook receiver. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Parses an RFC 5988 Link header, accepting both `rel=next` (Meraki) and `rel="next"`. */
export function parseLinks(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  if (header === null) return links;
  for (const match of header.matchAll(/<([^>]+)>\s*;\s*rel="?([a-z]+)"?/g)) {
    if (match[1] !== undefined && match[2] !== undefined) links[match[2]] = match[1];
  }
  return links;
}

export async function getJson(
  url: string,
  key: string,
  header: 'bearer' | 'legacy' = 'bearer',
): Promise<{ status: number; body: unknown; links: Record<string, string>; headers: Headers }> {
  const headers: Record<string, string> =
    header === 'bearer' ? { Authorization: `Bearer ${key}` } : { 'X-Cisco-Meraki-API-Key': key };
  const response = await fetch(url, { headers });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    links: parseLinks(response.headers.get('link')),
    headers: response.headers,
  };
}

/** Follows `rel=next` from `url` until absent, returning every page body. */
export async function followNext(
  url: string,
  key: string,
  limit = 100,
): Promise<{ pages: unknown[][]; urls: string[] }> {
  const pages: unknown[][] = [];
  const urls: string[] = [];
  let next: string | undefined = url;
  while (next !== undefined) {
    if (urls.length >= limit) throw new Error(`more than ${limit} pages`);
    urls.push(next);
    const page = await getJson(next, key);
    if (page.status !== 200) throw new Error(`page ${next} answered ${page.status}: ${JSON.stringify(page.body)}`);
    pages.push(page.body as unknown[]);
    next = page.links.next;
  }
  return { pages, urls };
}

export interface Receiver {
  url: string;
  received: { headers: IncomingMessage['headers']; body: unknown }[];
  /** Statuses to answer, in order; 200 once exhausted. */
  statuses: number[];
  close(): Promise<void>;
}

/** A local HTTP endpoint recording what is POSTed to it. */
export async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/meraki-webhook`,
    received,
    statuses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
