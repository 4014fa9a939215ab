import { gunzipSync } from 'node:zlib';

import {
  createHttpHeaders,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import { describe, expect, it } from 'vitest';

import {
  createIngestionClient,
  FAST_GZIP_POLICY_NAME,
  SDK_GZIP_POLICY_NAME,
  SERIALIZED_BODY_KEY,
  type SentryIngestionClient,
} from './client';
import { SDK_SPLIT_BYTES } from './uploader';

const ENDPOINT = 'https://ingest.example.invalid';
const credential = {
  getToken: () => Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The app's client (`createIngestionClient`, as `ingestionClient()` builds it); a last policy answers
 * instead of sending: `statuses` in turn (a 503 asks for an immediate retry), then 204.
 */
function capturingClient(statuses: number[] = []): { client: SentryIngestionClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = createIngestionClient(ENDPOINT, credential);
  client.pipeline.addPolicy(
    {
      name: 'capture',
      sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
        sent.push({ url: request.url, headers: request.headers.toJSON(), body: request.body as Buffer });
        const status = statuses.shift() ?? 204;
        const headers = createHttpHeaders(status === 503 ? { 'retry-after-ms': '0' } : {});
        return Promise.resolve({ request, status, headers });
      },
    },
    { phase: 'Sign', afterPolicies: [] },
  );
  return { client, sent };
}

const policyNames = (client: LogsIngestionClient): string[] =>
  client.pipeline.getOrderedPolicies().map((policy) => policy.name);

describe('ingestion client', () => {
  it('uploadJson sends the given JSON array as the gzipped body, in one request, with the SDK headers', async () => {
    const { client, sent } = capturingClient();
    const body = Buffer.from(JSON.stringify([{ EventId: 'a', Name: 'ünï' }, { EventId: 'b' }]));
    await client.uploadJson('dcr-1', 'Custom-T', body);
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(gunzipSync(request?.body ?? Buffer.alloc(0)).equals(body)).toBe(true);
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(request?.headers.authorization).toBe('Bearer test-token');
    expect(request?.url).toContain('/dataCollectionRules/dcr-1/streams/Custom-T');
  });

  it('still serializes plain upload() rows itself', async () => {
    const { client, sent } = capturingClient();
    await client.upload('dcr-1', 'Custom-T', [{ EventId: 'a' }]);
    expect(JSON.parse(gunzipSync(sent[0]?.body ?? Buffer.alloc(0)).toString('utf8'))).toEqual([{ EventId: 'a' }]);
  });

  it('never sends a placeholder whose body is not registered', async () => {
    const { client, sent } = capturingClient();
    await expect(client.upload('dcr-1', 'Custom-T', [{ [SERIALIZED_BODY_KEY]: 'b999999' }])).rejects.toThrow();
    expect(sent).toHaveLength(0);
  });
});

// What client.ts and the uploader assume about @azure/monitor-ingestion's internals. A failure here
// after an SDK upgrade means the placeholder swap or the level-1 gzip may no longer work as written.
describe('@azure/monitor-ingestion internals the app relies on', () => {
  it('gzips through a policy named GzippingPolicy, which the app removes by that name and replaces once', () => {
    expect(
      policyNames(new LogsIngestionClient(ENDPOINT, credential)),
      `the SDK no longer has a "${SDK_GZIP_POLICY_NAME}" policy: client.ts would gzip twice`,
    ).toContain(SDK_GZIP_POLICY_NAME);
    const names = policyNames(createIngestionClient(ENDPOINT, credential));
    expect(names).not.toContain(SDK_GZIP_POLICY_NAME);
    expect(names.filter((name) => name === FAST_GZIP_POLICY_NAME)).toHaveLength(1);
  });

  it('runs the app gzip policy before every retry policy', () => {
    const names = policyNames(createIngestionClient(ENDPOINT, credential));
    const retries = names.flatMap((name, i) => (/retry/i.test(name) ? [i] : []));
    expect(retries.length, 'the SDK pipeline has no retry policy any more').toBeGreaterThan(0);
    for (const at of retries) expect(names.indexOf(FAST_GZIP_POLICY_NAME), names[at]).toBeLessThan(at);
  });

  it('re-sends the same compressed bytes on a retry (the swap and gzip run once per request)', async () => {
    const { client, sent } = capturingClient([503]);
    const body = Buffer.from(JSON.stringify([{ EventId: 'a' }]));
    await client.uploadJson('dcr-1', 'Custom-T', body);
    expect(sent).toHaveLength(2);
    const [first, retry] = sent;
    expect(retry?.body.equals(first?.body ?? Buffer.alloc(0))).toBe(true);
    expect(gunzipSync(retry?.body ?? Buffer.alloc(0)).equals(body)).toBe(true);
  });

  it('hands the app gzip policy the placeholder row serialized as exactly this JSON text', async () => {
    const { client } = capturingClient();
    const seen: { body: unknown; contentType: string | undefined }[] = [];
    const spy: PipelinePolicy = {
      name: 'beforeAppGzip',
      sendRequest(request, next) {
        seen.push({ body: request.body, contentType: request.headers.get('content-type') });
        return next(request);
      },
    };
    client.pipeline.addPolicy(spy, { beforePolicies: [FAST_GZIP_POLICY_NAME] });
    await client.uploadJson('dcr-1', 'Custom-T', Buffer.from('[{"EventId":"a"}]'));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.contentType).toBe('application/json');
    expect(typeof seen[0]?.body).toBe('string');
    expect(String(seen[0]?.body)).toMatch(/^\[\{"__sentrySerializedBody":"b\d+"\}\]$/);
    expect(SERIALIZED_BODY_KEY).toBe('__sentrySerializedBody');
  });

  it('splits upload() rows into requests at 1,000,000 bytes of row JSON, where the uploader packs under', async () => {
    /** A row whose JSON (`{"s":"…"}`) is `bytes` long. */
    const row = (bytes: number) => ({ s: 'x'.repeat(bytes - 8) });
    const { client, sent } = capturingClient();
    await client.upload('dcr-1', 'Custom-T', [row(500_000), row(SDK_SPLIT_BYTES - 500_001)], { maxConcurrency: 1 });
    expect(sent).toHaveLength(1);
    await client.upload('dcr-1', 'Custom-T', [row(500_000), row(SDK_SPLIT_BYTES - 500_000)], { maxConcurrency: 1 });
    expect(sent).toHaveLength(3);
  });
});
