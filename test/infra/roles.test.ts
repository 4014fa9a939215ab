/**
 * Every role the code and the host need is assigned to the app's identity, at the right scope. What
 * is "needed" is read from the code: the SDK clients src/ constructs with the managed identity,
 * Durable's storage provider in host.json, Key Vault references and Entra-authenticated telemetry in
 * the app settings.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  type BicepFile,
  REPO,
  declaration,
  declarationsOf,
  objectEntries,
  parseBicep,
  readBicep,
} from './bicep-reader';
import { sourceFiles } from './repo-facts';

const ROLE = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

interface Assignment {
  name: string;
  roleId: string;
  /** Resource type of the scope, e.g. Microsoft.Insights/dataCollectionRules. */
  scopeType: string;
  principal: string;
  conditional: boolean;
}

/** Role assignments declared in a Bicep file, with role ids and scope types resolved. */
export function roleAssignments(file: BicepFile): Assignment[] {
  const roles = new Map(
    objectEntries(declaration(file, 'var', 'roles').body).map((e) => [e.key, e.value.replace(/'/g, '')]),
  );
  const types = new Map(
    declarationsOf(file, 'resource')
      .filter((d) => d.existing)
      .map((d) => [d.name, d.target.split('@')[0] ?? '']),
  );
  return declarationsOf(file, 'resource')
    .filter((d) => d.target.startsWith('Microsoft.Authorization/roleAssignments@'))
    .map((d) => {
      const roleKey =
        /roleDefinitionId:\s*subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*roles\.(\w+)\)/.exec(
          d.body,
        )?.[1];
      const scope = /^\s*scope:\s*(\w+)\s*$/m.exec(d.body)?.[1];
      return {
        name: d.name,
        roleId: roles.get(roleKey ?? '') ?? `unresolved role ${roleKey ?? '?'}`,
        scopeType: types.get(scope ?? '') ?? `unresolved scope ${scope ?? '?'}`,
        principal: /principalId:\s*(\w+)/.exec(d.body)?.[1] ?? '',
        conditional: /^\s*if\s*\(/.test(d.body),
      };
    });
}

interface Need {
  why: string;
  roleIds: string[];
  scopeType: string;
}

/** The roles the code needs, from what it uses. */
function needs(): Need[] {
  const src = sourceFiles()
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const host = JSON.parse(readFileSync(resolve(REPO, 'host.json'), 'utf8')) as {
    extensions?: { durableTask?: { storageProvider?: { type?: string } } };
  };
  const main = readBicep('main.bicep');
  const settings = declaration(main, 'var', 'appSettings').body + declaration(main, 'var', 'secretAppSettings').body;
  const out: Need[] = [];
  const storage = 'Microsoft.Storage/storageAccounts';
  if (/\bnew LogsIngestionClient\(/.test(src)) {
    out.push({
      why: 'src/ uploads with LogsIngestionClient',
      roleIds: [ROLE.monitoringMetricsPublisher],
      scopeType: 'Microsoft.Insights/dataCollectionRules',
    });
  }
  if (/\bnew TableClient\([^)]*azureCredential/.test(src)) {
    out.push({
      why: 'src/ keeps state tables with TableClient and the identity',
      roleIds: [ROLE.storageTableDataContributor],
      scopeType: storage,
    });
  }
  if (/\b(BlobServiceClient|ContainerClient|BlobClient)\b/.test(src)) {
    out.push({
      why: 'src/ uses Blob Storage',
      roleIds: [ROLE.storageBlobDataOwner, ROLE.storageBlobDataContributor],
      scopeType: storage,
    });
  }
  if (/\bQueue(Service)?Client\b/.test(src)) {
    out.push({ why: 'src/ uses Queue Storage', roleIds: [ROLE.storageQueueDataContributor], scopeType: storage });
  }
  // Durable's Azure Storage provider: leases and large messages in blobs, control/work-item queues,
  // history and instance tables; the host also reads the deployment package with the identity.
  if ((host.extensions?.durableTask?.storageProvider?.type ?? 'AzureStorage') === 'AzureStorage') {
    out.push({ why: 'Durable task hub blobs', roleIds: [ROLE.storageBlobDataOwner], scopeType: storage });
    out.push({ why: 'Durable task hub queues', roleIds: [ROLE.storageQueueDataContributor], scopeType: storage });
    out.push({ why: 'Durable task hub tables', roleIds: [ROLE.storageTableDataContributor], scopeType: storage });
  }
  if (settings.includes('@Microsoft.KeyVault(')) {
    out.push({
      why: 'app settings hold Key Vault references',
      roleIds: [ROLE.keyVaultSecretsUser],
      scopeType: 'Microsoft.KeyVault/vaults',
    });
  }
  if (settings.includes('Authorization=AAD')) {
    out.push({
      why: 'telemetry authenticates with the identity',
      roleIds: [ROLE.monitoringMetricsPublisher],
      scopeType: 'Microsoft.Insights/components',
    });
  }
  return out;
}

describe('role assignments', () => {
  const rbac = readBicep('modules/rbac.bicep');
  const assignments = roleAssignments(rbac);
  const main = readBicep('main.bicep');

  it('the rbac module receives the identity the app runs as', () => {
    const mod = declarationsOf(main, 'module').find((d) => d.target === 'modules/rbac.bicep');
    expect(mod?.body).toMatch(/appPrincipalId:\s*identity\.outputs\.principalId/);
    expect(declaration(main, 'module', 'api').body).toMatch(/identityResourceId:\s*identity\.outputs\.resourceId/);
    expect(declaration(main, 'module', 'identity').target).toMatch(
      /^br\/public:avm\/res\/managed-identity\/user-assigned-identity:/,
    );
  });

  it('reads the role assignments of the rbac module', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(6);
    for (const a of assignments) {
      expect(a.roleId, a.name).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.scopeType, a.name).toMatch(/^Microsoft\./);
    }
  });

  const required = needs();
  it('derives the needs from the code', () => {
    expect(required.map((n) => n.why)).toEqual(
      expect.arrayContaining([
        'src/ uploads with LogsIngestionClient',
        'Durable task hub queues',
        'app settings hold Key Vault references',
      ]),
    );
  });

  for (const need of required) {
    it(`the app identity has what it needs: ${need.why}`, () => {
      const match = assignments.find(
        (a) =>
          a.principal === 'appPrincipalId' &&
          !a.conditional &&
          need.roleIds.includes(a.roleId) &&
          a.scopeType === need.scopeType,
      );
      expect(match, `assign one of ${need.roleIds.join(', ')} on ${need.scopeType} to appPrincipalId`).toBeDefined();
    });
  }

  it('the app starts only after its roles exist (Key Vault references resolve on first start)', () => {
    expect(declaration(main, 'module', 'api').body).toMatch(/dependsOn:\s*\[[^\]]*\brbac\b/);
  });

  it('a role assignment on the wrong scope is caught', () => {
    const broken = parseBicep(
      readFileSync(resolve(REPO, 'infra', 'bicep', 'modules', 'rbac.bicep'), 'utf8').replace(
        /(resource appIngestion[^\n]*\n[^\n]*\n\s*scope:\s*)dataCollectionRule/,
        '$1appInsights',
      ),
      'rbac.bicep (edited)',
    );
    const edited = roleAssignments(broken);
    expect(edited.find((a) => a.name === 'appIngestion')?.scopeType).toBe('Microsoft.Insights/components');
    const ingestion = required.find((n) => n.scopeType === 'Microsoft.Insights/dataCollectionRules');
    expect(
      edited.some(
        (a) =>
          a.principal === 'appPrincipalId' &&
          ingestion?.roleIds.includes(a.roleId) &&
          a.scopeType === ingestion.scopeType,
      ),
    ).toBe(false);
  });
});
