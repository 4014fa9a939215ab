/**
 * Test helpers for code that uses Table Storage: a real Azurite (child process, temp folder, free
 * ports) and a parsed Config pointing at it, plus fake vendor secrets that are never real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll } from 'vitest';

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

/**
 * A test Azurite for the enclosing `describe` (or file): started before its first test, stopped
 * after its last. The returned object reads through to it, so use it inside tests and hooks only.
 */
export function useTestAzurite(): Omit<TestAzurite, 'stop'> {
  let started: TestAzurite | undefined;
  beforeAll(async () => {
    started = await startTestAzurite();
  }, 60_000);
  afterAll(async () => {
    await started?.stop();
  });
  const current = (): TestAzurite => {
    if (started === undefined) throw new Error('the test Azurite is not running: use it inside a test or a hook');
    return started;
  };
  return {
    get azurite() {
      return current().azurite;
    },
    get env() {
      return current().env;
    },
    get config() {
      return current().config;
    },
    configWith: (extra) => current().configWith(extra),
  };
}
