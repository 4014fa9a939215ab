/**
 * The settings the app reads, the app settings main.bicep writes, the parameters azd feeds it and the
 * table in docs/deploy.md must agree. No Bicep compiler runs here, so agreement is what we prove.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { SECRET_SETTINGS } from '../../src/config';
import { declaration, declarationsOf, objectEntries, readBicep, REPO, stringProperty } from './bicep-reader';
import { configSettings, documentedSettings, readJson, requiredSettings } from './repo-facts';

const main = readBicep('main.bicep');
const keyVaultModule = readBicep('modules/key-vault.bicep');
const apiModule = readBicep('modules/api.bicep');

/** Every app setting main.bicep writes → the Bicep expression of its value. */
function bicepAppSettings(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of ['appSettings', 'secretAppSettings']) {
    for (const { key, value } of objectEntries(declaration(main, 'var', name).body)) out.set(key, value);
  }
  return out;
}

/** Host settings the Functions runtime reads itself (the app's config module does not). */
const HOST_SETTING =
  /^(AzureWebJobsStorage__(credential|clientId|blobServiceUri|queueServiceUri)|APPLICATIONINSIGHTS_(CONNECTION_STRING|AUTHENTICATION_STRING)|languageWorkers__node__arguments)$/;

const KEY_VAULT_REFERENCE = /^'@Microsoft\.KeyVault\(SecretUri=\$\{keyVaultUri\}secrets\/([a-z0-9-]+)\)'$/;

describe('app settings', () => {
  const read = configSettings();
  const set = bicepAppSettings();
  const documented = documentedSettings();
  const doc = new Map(documented.map((d) => [d.name, d]));

  it('finds the settings the config module reads and the ones main.bicep writes', () => {
    expect(read).toContain('SENTRY_INGESTION_ENDPOINT');
    expect(read.length).toBeGreaterThan(20);
    expect(set.get('SENTRY_DCR_IMMUTABLE_ID')).toBe('ingestion.outputs.dataCollectionRuleImmutableId');
  });

  it('every setting the config module reads is set by main.bicep or documented as optional', () => {
    const missing = read.filter((name) => !set.has(name) && doc.get(name)?.how !== 'optional');
    expect(missing, 'set these in main.bicep (var appSettings) or list them as optional in docs/deploy.md').toEqual([]);
  });

  it('settings the app cannot run without are set, never left optional', () => {
    const required = requiredSettings();
    expect(required).toEqual(expect.arrayContaining(['SENTRY_INGESTION_ENDPOINT', 'SENTRY_DCR_IMMUTABLE_ID']));
    for (const name of required) {
      // Source credentials are required only when their source is on; they come from Key Vault.
      expect(set.has(name) || doc.get(name)?.how === 'secret', `${name} must be set by main.bicep`).toBe(true);
    }
    expect(set.has('AzureWebJobsStorage__tableServiceUri'), 'the app finds its state tables through it').toBe(true);
  });

  it('main.bicep sets no app setting the app or the host does not read', () => {
    const unknown = [...set.keys()].filter((name) => !read.includes(name) && !HOST_SETTING.test(name));
    expect(unknown, 'a typo, or a setting the config module no longer reads').toEqual([]);
  });

  it('the settings table in docs/deploy.md lists every setting, and says truthfully how each is set', () => {
    const listed = documented.map((d) => d.name);
    expect(read.filter((name) => !listed.includes(name))).toEqual([]);
    expect(
      listed.filter((name) => !read.includes(name) && !HOST_SETTING.test(name)),
      'stale rows',
    ).toEqual([]);
    for (const row of documented) {
      const value = set.get(row.name);
      if (row.how === 'optional')
        expect(value, `${row.name} is documented optional but main.bicep sets it`).toBeUndefined();
      if (row.how === 'set') {
        expect(value, `${row.name} is documented as set by main.bicep`).toBeDefined();
        expect(value).not.toMatch(KEY_VAULT_REFERENCE);
      }
      if (row.how === 'secret')
        expect(value, `${row.name} is documented as a Key Vault reference`).toMatch(KEY_VAULT_REFERENCE);
    }
  });

  it('secrets reach the app only as Key Vault references to secrets key-vault.bicep writes', () => {
    const written = new Set(
      declarationsOf(keyVaultModule, 'resource')
        .filter((d) => d.target.startsWith('Microsoft.KeyVault/vaults/secrets@'))
        .map((d) => stringProperty(d.body, 'name')),
    );
    for (const name of SECRET_SETTINGS) {
      const value = set.get(name);
      if (value === undefined) {
        expect(doc.get(name)?.how, `${name} is neither set nor documented`).toBe('optional');
        continue;
      }
      const secret = KEY_VAULT_REFERENCE.exec(value)?.[1];
      expect(secret, `${name} must be a Key Vault reference, not ${value}`).toBeDefined();
      expect(written.has(secret), `key-vault.bicep writes no secret named ${secret ?? ''}`).toBe(true);
      // The reference is only written when the secret is given now or declared external.
      expect(declaration(main, 'var', 'secretAppSettings').body).toContain(
        `contains(externalSecretNames, '${secret ?? ''}')`,
      );
    }
    const plain = [...set.entries()].filter(
      ([name, v]) => KEY_VAULT_REFERENCE.test(v) && !(SECRET_SETTINGS as readonly string[]).includes(name),
    );
    expect(
      plain.map(([name]) => name),
      'Key Vault references for settings the config does not treat as secret',
    ).toEqual([]);
  });

  it('the identity the SDK and the host use is the app identity, also used for Key Vault references', () => {
    expect(set.get('AZURE_CLIENT_ID')).toBe('identity.outputs.clientId');
    expect(set.get('AzureWebJobsStorage__clientId')).toBe('identity.outputs.clientId');
    expect(set.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(set.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identity.outputs.clientId};Authorization=AAD'",
    );
    const api = declaration(main, 'module', 'api');
    expect(api.body).toMatch(/identityResourceId:\s*identity\.outputs\.resourceId/);
    expect(api.body).toMatch(/appSettings:\s*appSettings\b/);
    const site = declaration(apiModule, 'module', 'site');
    expect(site.target).toMatch(/^br\/public:avm\/res\/web\/site:\d+\.\d+\.\d+$/);
    expect(site.body).toMatch(/keyVaultAccessIdentityResourceId:\s*identityResourceId/);
    expect(site.body).toMatch(/appSettingsKeyValuePairs:\s*appSettings\b/);
    expect(site.body).toMatch(/userAssignedResourceIds:\s*\[\s*identityResourceId\s*\]/);
    expect(site.body).toMatch(/name:\s*'node'\s+version:\s*'22'/);
  });

  it('every %SETTING% host.json names is set by main.bicep', () => {
    const host = readFileSync(resolve(REPO, 'host.json'), 'utf8');
    const named = [...host.matchAll(/%([A-Za-z0-9_]+)%/g)].map((m) => m[1] ?? '');
    expect(named).toContain('SENTRY_TASK_HUB');
    for (const name of named) expect(set.has(name), `host.json uses %${name}%`).toBe(true);
  });

  it('main.parameters.json feeds only parameters main.bicep declares, and every one without a default', () => {
    const file = readJson(resolve(REPO, 'infra/bicep/main.parameters.json')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const params = declarationsOf(main, 'param');
    const names = params.map((p) => p.name);
    expect(Object.keys(file.parameters).filter((p) => !names.includes(p))).toEqual([]);
    // The reader keeps a parameter's default as its body, or only its type when it has none.
    const required = params.filter((p) => /^(string|int|bool|array|object)$/.test(p.body)).map((p) => p.name);
    expect(required).toEqual(['environmentName', 'location']);
    for (const name of required) expect(file.parameters[name], `${name} has no default and no value`).toBeDefined();
  });

  it('secure parameters come from azd environment values, never literals in the parameters file', () => {
    const file = readJson(resolve(REPO, 'infra/bicep/main.parameters.json')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const secure = [...main.code.matchAll(/@secure\(\)\s*(?:@description\('(?:[^'\\]|\\.)*'\)\s*)?param\s+(\w+)/g)].map(
      (m) => m[1] ?? '',
    );
    expect(secure.length).toBeGreaterThanOrEqual(6);
    for (const name of secure) {
      const value = file.parameters[name]?.value;
      expect(value, name).toMatch(/^\$\{[A-Z0-9_]+\}$/);
    }
  });
});
