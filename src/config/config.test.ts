import { describe, expect, it } from 'vitest';

import { ConfigError } from '../errors';
import { parseConfig, redactSecrets } from './index';

const valid = {
  SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
  SENTRY_INGESTION_ENDPOINT: 'https://dce.example.ingest.monitor.azure.com',
  SENTRY_DCR_IMMUTABLE_ID: 'dcr-0123456789abcdef',
  SENTRY_SLACK_AUDIT_TOKEN: 'xoxp-audit-token-value',
  SENTRY_MERAKI_API_KEY: 'meraki-key-0123456789',
  SENTRY_MERAKI_ORG_IDS: '111, 222',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected ConfigError');
}

describe('parseConfig', () => {
  it('parses a complete environment with defaults applied', () => {
    const config = parseConfig(valid);
    expect(config.sources).toEqual(['slackAudit', 'meraki']);
    expect(config.pollIntervalSeconds).toBe(60);
    expect(config.meraki.orgIds).toEqual(['111', '222']);
    expect(config.slack.auditApiUrl).toBe('https://api.slack.com/audit/v1/');
    expect(config.storage).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
    expect(Object.isFrozen(config.slack)).toBe(true);
  });

  it('names every missing setting and its fix at once', () => {
    const problems = problemsOf({});
    expect(problems.some((p) => p.startsWith('SENTRY_INGESTION_ENDPOINT is missing') && p.includes('data collection endpoint'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SENTRY_DCR_IMMUTABLE_ID is missing'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SENTRY_SLACK_AUDIT_TOKEN is missing'))).toBe(true);
    expect(problems.some((p) => p.startsWith('Table Storage is not configured'))).toBe(true);
  });

  it('only requires the credentials of the enabled sources', () => {
    const { SENTRY_MERAKI_API_KEY: _k, SENTRY_MERAKI_ORG_IDS: _o, ...slackOnly } = valid;
    expect(parseConfig({ ...slackOnly, SENTRY_SOURCES: 'slackAudit' }).sources).toEqual(['slackAudit']);
    expect(problemsOf(slackOnly).some((p) => p.startsWith('SENTRY_MERAKI_API_KEY is missing'))).toBe(true);
  });

  it('rejects out-of-range and unknown values with the setting name', () => {
    expect(problemsOf({ ...valid, SENTRY_POLL_INTERVAL_SECONDS: '5' })[0]).toMatch(/^SENTRY_POLL_INTERVAL_SECONDS is invalid.*15 to 3600/);
    expect(problemsOf({ ...valid, SENTRY_SOURCES: 'slackAudit,okta' })[0]).toMatch(/^SENTRY_SOURCES is invalid/);
    expect(problemsOf({ ...valid, SENTRY_INGESTION_ENDPOINT: 'not a url' })[0]).toMatch(/^SENTRY_INGESTION_ENDPOINT is invalid/);
  });

  it('defaults the Slack audit lag to 5 s with a 120 s overlap, and bounds the overlap with a fix', () => {
    const audit = parseConfig(valid).collection.slackAudit;
    expect({ lag: audit.lagSeconds, overlap: audit.overlapSeconds }).toEqual({ lag: 5, overlap: 120 });
    expect(parseConfig({ ...valid, SENTRY_SLACK_AUDIT_OVERLAP_SECONDS: '0' }).collection.slackAudit.overlapSeconds).toBe(0);
    expect(parseConfig({ ...valid, SENTRY_SLACK_AUDIT_OVERLAP_SECONDS: '1800' }).collection.slackAudit.overlapSeconds).toBe(1800);
    for (const bad of ['-1', '1801', '2.5', 'two minutes']) {
      const problems = problemsOf({ ...valid, SENTRY_SLACK_AUDIT_OVERLAP_SECONDS: bad });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^SENTRY_SLACK_AUDIT_OVERLAP_SECONDS is invalid .*from 0 to 1800 \(default 120\).*late/);
    }
  });

  it('defaults the upload concurrency to 8 and names the setting and its range when it is out of bounds', () => {
    expect(parseConfig(valid).ingestion.concurrency).toBe(8);
    expect(parseConfig({ ...valid, SENTRY_INGESTION_CONCURRENCY: '32' }).ingestion.concurrency).toBe(32);
    for (const bad of ['0', '33', '1.5', 'many']) {
      expect(problemsOf({ ...valid, SENTRY_INGESTION_CONCURRENCY: bad })[0]).toMatch(
        /^SENTRY_INGESTION_CONCURRENCY is invalid .*from 1 to 32 \(default 8\)/,
      );
    }
  });

  it('reports an unresolved Key Vault reference with the role to grant, never its value', () => {
    const problems = problemsOf({
      ...valid,
      SENTRY_SLACK_BOT_TOKEN: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/slack-bot/)',
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SENTRY_SLACK_BOT_TOKEN is an unresolved Key Vault reference/);
    expect(problems[0]).toContain('Key Vault Secrets User');
    expect(problems[0]).not.toContain('slack-bot');
  });

  it('uses the identity-based table endpoint when no connection string is set', () => {
    const { SENTRY_STORAGE_CONNECTION: _c, ...rest } = valid;
    expect(parseConfig({ ...rest, AzureWebJobsStorage__accountName: 'stsentry' }).storage).toEqual({
      kind: 'identity',
      tableEndpoint: 'https://stsentry.table.core.windows.net',
    });
  });
});

describe('redactSecrets', () => {
  it('replaces configured secret values by their setting name', () => {
    expect(redactSecrets('auth failed for xoxp-audit-token-value', valid)).toBe('auth failed for [SENTRY_SLACK_AUDIT_TOKEN]');
  });
});
