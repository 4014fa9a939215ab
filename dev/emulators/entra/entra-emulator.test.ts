import { request as httpsRequest } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { azureTlsOptions } from '../tls/local-ca';
import { testCa } from '../tls/test-ca';
import type { LocalCa } from '../tls/local-ca';
import { resourceFromScope, startEntraEmulator, type EntraEmulator } from './entra-emulator';
import { createTokenVerifier, TokenVerificationError } from './tokens';

const MONITOR = 'https://monitor.azure.com';
const SCOPE = `${MONITOR}/.default`;

let ca: LocalCa;
let entra: EntraEmulator;
const savedEnv = { ...process.env };

beforeAll(async () => {
  ca = await testCa();
  entra = await startEntraEmulator({ tls: ca });
});
afterAll(async () => {
  await entra.close();
});
afterEach(() => {
  entra.faults.clear();
  for (const key of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_CLIENT_ID']) {
    if (savedEnv[key] === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = savedEnv[key];
  }
});

function secretCredential(secret = entra.clients[0]?.clientSecret ?? ''): ClientSecretCredential {
  return new ClientSecretCredential(entra.tenantId, entra.clients[0]?.clientId ?? '', secret, {
    authorityHost: entra.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: azureTlsOptions(ca),
  });
}

function postForm(
  url: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'POST', ca: ca.caPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        });
      },
    );
    req.on('error', reject);
    req.end(new URLSearchParams(form).toString());
  });
}

describe('ClientSecretCredential against the authority', () => {
  it('discovers the tenant, gets a monitor token and the emulator verifies it', async () => {
    const token = await secretCredential().getToken(SCOPE);
    const claims = await entra.verifyToken(token.token, MONITOR);
    expect(claims).toMatchObject({
      aud: MONITOR,
      iss: `https://sts.windows.net/${entra.tenantId}/`,
      tid: entra.tenantId,
      appid: entra.clients[0]?.clientId,
      azp: entra.clients[0]?.clientId,
      oid: entra.clients[0]?.objectId,
      idtyp: 'app',
    });
    expect(claims.exp - claims.iat).toBe(3599);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3_500_000);
    expect(entra.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining([
        `GET /${entra.tenantId}/v2.0/.well-known/openid-configuration 200`,
        `POST /${entra.tenantId}/oauth2/v2.0/token 200`,
      ]),
    );
  });

  it('refuses a wrong client secret with Entra’s invalid_client error', async () => {
    await expect(secretCredential('not-the-secret').getToken(SCOPE)).rejects.toThrow(/AADSTS7000215/);
    const direct = await postForm(`${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: entra.clients[0]?.clientId ?? '',
      client_secret: 'nope',
      scope: SCOPE,
    });
    expect(direct.status).toBe(401);
    expect(direct.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
  });

  it('refuses unknown clients, tenants and scopes without /.default', async () => {
    const base = {
      grant_type: 'client_credentials',
      client_secret: entra.clients[0]?.clientSecret ?? '',
      scope: SCOPE,
    };
    const unknownClient = await postForm(`${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/token`, {
      ...base,
      client_id: 'someone-else',
    });
    expect(unknownClient).toMatchObject({ status: 400, body: { error: 'unauthorized_client', error_codes: [700016] } });
    const unknownTenant = await postForm(`${entra.authorityHost}/other-tenant/oauth2/v2.0/token`, {
      ...base,
      client_id: entra.clients[0]?.clientId ?? '',
    });
    expect(unknownTenant).toMatchObject({ status: 400, body: { error: 'invalid_tenant' } });
    const badScope = await postForm(`${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/token`, {
      ...base,
      client_id: entra.clients[0]?.clientId ?? '',
      scope: 'https://monitor.azure.com/user_impersonation',
    });
    expect(badScope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('cannot resolve the authority without disableInstanceDiscovery (MSAL asks login.microsoftonline.com first)', async () => {
    const credential = new ClientSecretCredential(
      entra.tenantId,
      entra.clients[0]?.clientId ?? '',
      entra.clients[0]?.clientSecret ?? '',
      {
        authorityHost: entra.authorityHost,
        tlsOptions: azureTlsOptions(ca),
      },
    );
    const before = entra.requests.length;
    await expect(credential.getToken(SCOPE)).rejects.toThrow(/endpoints_resolution_error|invalid_instance/);
    expect(entra.requests.length).toBe(before);
  });
});

describe('ManagedIdentityCredential against the App Service endpoint', () => {
  it('gets a system-assigned token through IDENTITY_ENDPOINT and IDENTITY_HEADER', async () => {
    Object.assign(process.env, entra.managedIdentityEnv());
    const token = await new ManagedIdentityCredential().getToken(SCOPE);
    const claims = await entra.verifyToken(token.token, MONITOR);
    const system = entra.managedIdentities.find((m) => m.systemAssigned === true);
    expect(claims).toMatchObject({ aud: MONITOR, appid: system?.clientId, oid: system?.objectId });
    const last = entra.identityRequests.at(-1);
    expect(last?.headers['x-identity-header']).toBe(entra.identityHeader);
    expect(new URLSearchParams(last?.query).get('api-version')).toBe('2019-08-01');
    expect(new URLSearchParams(last?.query).get('resource')).toBe(MONITOR);
  });

  it('gets a user-assigned token by client id', async () => {
    const user = entra.managedIdentities.find((m) => m.systemAssigned !== true);
    Object.assign(process.env, entra.managedIdentityEnv());
    const token = await new ManagedIdentityCredential({ clientId: user?.clientId ?? '' }).getToken(SCOPE);
    expect(await entra.verifyToken(token.token, MONITOR)).toMatchObject({
      appid: user?.clientId,
      xms_mirid: user?.resourceId,
    });
    expect(new URLSearchParams(entra.identityRequests.at(-1)?.query).get('client_id')).toBe(user?.clientId);
  });

  it('refuses a wrong identity header and an unknown identity', async () => {
    const wrongHeader = await fetch(
      `${entra.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(MONITOR)}`,
      {
        headers: { 'x-identity-header': 'guess' },
      },
    );
    expect(wrongHeader.status).toBe(401);
    const unknown = await fetch(
      `${entra.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(MONITOR)}&client_id=nobody`,
      {
        headers: { 'x-identity-header': entra.identityHeader },
      },
    );
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/No User Assigned/);
    Object.assign(process.env, entra.managedIdentityEnv());
    await expect(new ManagedIdentityCredential({ clientId: 'nobody' }).getToken(SCOPE)).rejects.toThrow();
  });
});

describe('tokens and verification', () => {
  it('tokenExpiry issues an already-expired token that verification rejects', async () => {
    entra.faults.add({ kind: 'tokenExpiry', count: 1 });
    Object.assign(process.env, entra.managedIdentityEnv());
    // msal-node caches managed-identity tokens process-wide per resource, so ask for one not fetched yet.
    const resource = 'api://sentry-expiry-test';
    const token = await new ManagedIdentityCredential().getToken(`${resource}/.default`);
    expect(entra.issued.at(-1)).toMatchObject({ via: 'managed_identity', audience: resource, expired: true });
    await expect(entra.verifyToken(token.token, resource)).rejects.toMatchObject({ reason: 'expired' });
    // The credential was told the usual lifetime, as with a token from a skewed clock.
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3_600_000);
    expect(entra.faults.list()).toEqual([]);
  });

  it('rejects a wrong audience, a foreign signature and garbage, and accepts the trailing-slash audience', async () => {
    const wrongAudience = await entra.issueToken({ audience: 'https://management.azure.com' });
    await expect(entra.verifyToken(wrongAudience, MONITOR)).rejects.toMatchObject({ reason: 'audience' });
    const slash = await entra.issueToken({ audience: `${MONITOR}/` });
    await expect(entra.verifyToken(slash, MONITOR)).resolves.toMatchObject({ aud: `${MONITOR}/` });

    const other = await startEntraEmulator({ tls: ca });
    try {
      const forged = await other.issueToken({ audience: MONITOR });
      await expect(entra.verifyToken(forged, MONITOR)).rejects.toBeInstanceOf(TokenVerificationError);
      await expect(entra.verifyToken(forged, MONITOR)).rejects.toMatchObject({ reason: 'signature' });
    } finally {
      await other.close();
    }
    await expect(entra.verifyToken('not.a.jwt', MONITOR)).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('publishes a JWKS that a separate verifier can use', async () => {
    const jwks = (await (
      await fetch(`${entra.identityEndpoint.replace('/msi/token', '')}/_jwks`)
    ).json()) as ReturnType<EntraEmulator['jwks']>;
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const verify = createTokenVerifier(jwks);
    await expect(verify(await entra.issueToken({ audience: MONITOR }), MONITOR)).resolves.toMatchObject({
      aud: MONITOR,
    });
  });

  it('keeps its signing key across restarts when given a data folder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'entra-key-'));
    try {
      const first = await startEntraEmulator({ tls: ca, dataDir });
      const token = await first.issueToken({ audience: MONITOR });
      await first.close();
      const second = await startEntraEmulator({ tls: ca, dataDir });
      await expect(second.verifyToken(token, MONITOR)).resolves.toMatchObject({ aud: MONITOR });
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('maps scopes to resources the way Entra does', () => {
    expect(resourceFromScope('https://monitor.azure.com/.default')).toBe('https://monitor.azure.com');
    expect(resourceFromScope('https://monitor.azure.com//.default')).toBe('https://monitor.azure.com/');
    expect(resourceFromScope('https://monitor.azure.com/Logs.Write')).toBeUndefined();
  });
});
