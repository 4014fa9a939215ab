/**
 * The LogsIngestionClient the app uploads with. The SDK gzips every request at zlib's default level 6
 * through a public pipeline policy; level 1 costs ~half the CPU for ~20% more wire bytes
 * (docs/reference/performance.md, "Gzip level costs"), and the 1 MB request cap is on uncompressed
 * bytes anyway, so we swap it.
 *
 * Serialization happens once. `upload()` stringifies every row to size its chunks and then the whole
 * chunk again for the body (docs/reference/performance.md, "What the ingestion SDK does"), while
 * our uploader has already stringified each row to pack chunks under the split point.
 * `uploadJson()` sends a chunk the caller serialized itself: the SDK is handed one placeholder row
 * naming a registered body, and our gzip policy — the first policy to see the request, before retry
 * and signing, so a retry re-sends the same bytes — swaps
 * the placeholder body for the registered one. Everything else (auth, retries, errors such as
 * AggregateLogsUploadError) stays the SDK's. A placeholder whose body is not registered fails the
 * request rather than ever being sent.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { LogsIngestionClient } from '@azure/monitor-ingestion';

import { azureCredential } from '../azure-credential';
import type { Config } from '../config';

const gzip = promisify(gzipCallback);

export const FAST_GZIP_POLICY_NAME = 'SentryFastGzipPolicy';
export const GZIP_LEVEL = 1;

/** Key of the placeholder row `uploadJson` hands to the SDK. */
export const SERIALIZED_BODY_KEY = '__sentrySerializedBody';
const PLACEHOLDER = /^\[\{"__sentrySerializedBody":"(b\d+)"\}\]$/;

const registeredBodies = new Map<string, string | Buffer>();
let nextBodyId = 0;

/** Swaps a registered placeholder body for its JSON, then gzips at GZIP_LEVEL. */
export const fastGzipPolicy: PipelinePolicy = {
  name: FAST_GZIP_POLICY_NAME,
  async sendRequest(request, next) {
    if (typeof request.body === 'string' && request.body.includes(SERIALIZED_BODY_KEY)) {
      const id = PLACEHOLDER.exec(request.body)?.[1];
      const body = id === undefined ? undefined : registeredBodies.get(id);
      if (body === undefined)
        throw new Error('Logs Ingestion: a serialized chunk placeholder has no registered body; nothing was sent');
      request.body = body;
    }
    if (typeof request.body === 'string' || Buffer.isBuffer(request.body)) {
      request.body = await gzip(request.body, { level: GZIP_LEVEL });
    }
    return next(request);
  },
};

export interface SerializedUploadOptions {
  abortSignal?: AbortSignal | undefined;
}

export interface SerializedUploader {
  /** Uploads one chunk given as a JSON array (text or UTF-8 bytes, at most ~1 MB): one request, rows not re-serialized. */
  uploadJson(
    ruleId: string,
    streamName: string,
    body: string | Buffer,
    options?: SerializedUploadOptions,
  ): Promise<void>;
}

export type SentryIngestionClient = LogsIngestionClient & SerializedUploader;

/** Adds `uploadJson` to a client whose pipeline carries `fastGzipPolicy` (and no other gzip policy). */
export function withSerializedUpload(client: LogsIngestionClient): SentryIngestionClient {
  const uploadJson = async (
    ruleId: string,
    streamName: string,
    body: string | Buffer,
    options: SerializedUploadOptions = {},
  ): Promise<void> => {
    nextBodyId += 1;
    const id = `b${nextBodyId}`;
    registeredBodies.set(id, body);
    try {
      await client.upload(ruleId, streamName, [{ [SERIALIZED_BODY_KEY]: id }], {
        maxConcurrency: 1,
        ...(options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal }),
      });
    } finally {
      registeredBodies.delete(id);
    }
  };
  return Object.assign(client, { uploadJson });
}

let cached: { endpoint: string; client: SentryIngestionClient } | undefined;

export function ingestionClient(config: Config): SentryIngestionClient {
  if (cached?.endpoint === config.ingestion.endpoint) return cached.client;
  const client = new LogsIngestionClient(config.ingestion.endpoint, azureCredential(config));
  client.pipeline.removePolicy({ name: 'GzippingPolicy' });
  client.pipeline.addPolicy(fastGzipPolicy);
  const serialized = withSerializedUpload(client);
  cached = { endpoint: config.ingestion.endpoint, client: serialized };
  return serialized;
}
