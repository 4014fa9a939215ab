import { gunzipSync } from 'node:zlib';

import { createHttpHeaders, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import { describe, expect, it } from 'vitest';

import { fastGzipPolicy, SERIALIZED_BODY_KEY, withSerializedUpload } from './client';

/** The real SDK client with the app's gzip policy; the last policy answers 204 instead of sending. */
function capturingClient() {
  const sent: { url: string; headers: Record<string, string>; body: Buffer }[] = [];
  const credential = {
    getToken: () => Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const client = new LogsIngestionClient('https://ingest.example.invalid', credential);
  client.pipeline.removePolicy({ name: 'GzippingPolicy' });
  client.pipeline.addPolicy(fastGzipPolicy);
  client.pipeline.addPolicy(
    {
      name: 'capture',
      sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
        sent.push({ url: request.url, headers: request.headers.toJSON(), body: request.body as Buffer });
        return Promise.resolve({ request, status: 204, headers: createHttpHeaders() });
      },
    },
    { phase: 'Sign', afterPolicies: [] },
  );
  return { client: withSerializedUpload(client), sent };
}

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
