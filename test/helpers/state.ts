/**
 * Test helpers for code that uses Table Storage: a real Azurite (child process, temp folder, free
 * ports) and a parsed Config pointing at it, plus fake vendor secrets that are never real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type AzuriteInstance, startAzurite } from '../../dev/emulators/azurite';
import { type Config, parseConfig } from '../../src/config';

export interface TestAzurite {
  azurite: AzuriteInstance;
  env: Record<string, string> & { SENTRY_STORAGE_CONNECTION: string };
  config: Config;
  /** A config for the same Azurite with more settings. */
  configWith(extra: Record<string, string>): Config;
  stop(): Promise<void>;
}

export const BASE_TEST_ENV: Readonly<Record<string, string>> = Object.freeze({
  SENTRY_INGESTION_ENDPOINT: 'https://ingestion.invalid',
  SENTRY_DCR_IMMUTABLE_ID: 'dcr-00000000000000000000000000000000',
  SENTRY_SLACK_AUDIT_TOKEN: 'xoxp-test-audit-token-0000000000',
  SENTRY_MERAKI_API_KEY: 'meraki-test-key-000000000000000000000000',
  SENTRY_MERAKI_ORG_IDS: '111111',
  SENTRY_MERAKI_WEBHOOK_SECRET: 'webhook-test-secret-0000',
});

export async function startTestAzurite(): Promise<TestAzurite> {
  const location = mkdtempSync(join(tmpdir(), 'sentry-azurite-'));
  const azurite = await startAzurite({ location });
  const env = { ...BASE_TEST_ENV, SENTRY_STORAGE_CONNECTION: azurite.connectionString };
  const configWith = (extra: Record<string, string>) => parseConfig({ ...env, ...extra });
  return {
    azurite,
    env,
    config: configWith({}),
    configWith,
    stop: async () => {
      await azurite.stop();
      rmSync(location, { recursive: true, force: true });
    },
  };
}
