/**
 * The LogsIngestionClient the app uploads with. The SDK gzips every request at zlib's default level 6
 * through a public pipeline policy; level 1 costs ~half the CPU for ~20% more wire bytes (measured
 * in perf-limits.md), and the 1 MB request cap is on uncompressed bytes anyway, so we swap it.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { LogsIngestionClient } from '@azure/monitor-ingestion';

import { azureCredential } from '../azure-credential';
import type { Config } from '../config';

const gzip = promisify(gzipCallback);

export const FAST_GZIP_POLICY_NAME = 'SentryFastGzipPolicy';

const fastGzipPolicy: PipelinePolicy = {
  name: FAST_GZIP_POLICY_NAME,
  async sendRequest(request, next) {
    if (typeof request.body === 'string' || Buffer.isBuffer(request.body)) {
      request.body = await gzip(request.body, { level: 1 });
    }
    return next(request);
  },
};

let cached: { endpoint: string; client: LogsIngestionClient } | undefined;

export function ingestionClient(config: Config): LogsIngestionClient {
  if (cached?.endpoint === config.ingestion.endpoint) return cached.client;
  const client = new LogsIngestionClient(config.ingestion.endpoint, azureCredential(config));
  client.pipeline.removePolicy({ name: 'GzippingPolicy' });
  client.pipeline.addPolicy(fastGzipPolicy);
  cached = { endpoint: config.ingestion.endpoint, client };
  return client;
}
