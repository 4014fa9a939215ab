/**
 * The LogsIngestionClient the app uploads with: the SDK's client, with `uploadJson()` added and the
 * SDK's gzip policy swapped for ours.
 *
 * `upload()` stringifies every row to size its chunks and then the whole chunk again for the body
 * (docs/reference/performance.md, "What the ingestion SDK does"), while our uploader has already
 * stringified each row to pack chunks under the split point. `uploadJson()` sends a chunk the caller
 * serialized itself: the SDK is handed one placeholder row naming a registered body, and our gzip
 * policy swaps the placeholder body for the registered one, then gzips it at level 1 (the SDK's is
 * zlib's default 6; the 1 MB request cap is on uncompressed bytes, so a level changes wire bytes, not
 * requests). Everything else (auth, retries, errors such as AggregateLogsUploadError) stays the
 * SDK's. A placeholder whose body is not registered fails the request rather than ever being sent.
 *
 * What this relies on inside the SDK is pinned by client.test.ts: the name of its gzip policy; ours
 * running after `upload()` has serialized the body and before the retry policy (so a retry re-sends
 * the same compressed bytes); the exact body `upload()` builds for the placeholder row; one request
 * per `uploadJson()`.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { LogsIngestionClient, type LogsIngestionClientOptions } from '@azure/monitor-ingestion';

import { azureCredential } from '../azure-credential';
import type { Config } from '../config';

const gzip = promisify(gzipCallback);

/** The SDK's gzip policy (level 6), which ours replaces. */
export const SDK_GZIP_POLICY_NAME = 'GzippingPolicy';
export const FAST_GZIP_POLICY_NAME = 'SentryFastGzipPolicy';
export const GZIP_LEVEL = 1;

/** Key of the placeholder row `uploadJson` hands to the SDK. */
export const SERIALIZED_BODY_KEY = '__sentrySerializedBody';
const PLACEHOLDER = /^\[\{"__sentrySerializedBody":"(b\d+)"\}\]$/;

const registeredBodies = new Map<string, string | Buffer>();
let nextBodyId = 0;

/**
 * Swaps a registered placeholder body for its JSON, then gzips at GZIP_LEVEL. Kept because the
 * throughput targets (≥ 40,000 ev/s, ratio to ceiling ≥ 0.6 wall and CPU) need both halves; `npm run
 * bench` runs interleaved on one machine: with it 39–46k ev/s, ratio 0.57–0.66, CPU ratio 0.67–0.75;
 * plain `upload()` with the SDK's gzip 24–29k, 0.40–0.48, 0.44–0.52; level 1 without the placeholder
 * 29–33k, 0.45–0.46, 0.50–0.51; the placeholder at level 6 34–41k, 0.52–0.67, 0.56–0.71
 * (docs/reference/performance.md, "Speed tricks the bench keeps").
 */
const fastGzipPolicy: PipelinePolicy = {
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
function withSerializedUpload(client: LogsIngestionClient): SentryIngestionClient {
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

/** The SDK's client for `endpoint`, with `fastGzipPolicy` in place of the SDK's gzip policy and `uploadJson`. */
export function createIngestionClient(
  endpoint: string,
  credential: TokenCredential,
  options?: LogsIngestionClientOptions,
): SentryIngestionClient {
  const client = new LogsIngestionClient(endpoint, credential, options);
  client.pipeline.removePolicy({ name: SDK_GZIP_POLICY_NAME });
  client.pipeline.addPolicy(fastGzipPolicy);
  return withSerializedUpload(client);
}

let cached: { endpoint: string; client: SentryIngestionClient } | undefined;

export function ingestionClient(config: Config): SentryIngestionClient {
  if (cached?.endpoint === config.ingestion.endpoint) return cached.client;
  const client = createIngestionClient(config.ingestion.endpoint, azureCredential(config));
  cached = { endpoint: config.ingestion.endpoint, client };
  return client;
}
