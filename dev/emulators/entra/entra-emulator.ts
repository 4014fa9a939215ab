/**
 * Entra ID emulator: lets the unmodified `@azure/identity` credentials obtain tokens locally.
 *
 * Two listeners share one state and one fault injector:
 * - the authority (HTTPS, because MSAL refuses a non-https authority) for `ClientSecretCredential`:
 *   OIDC discovery at `/{tenant}/v2.0/.well-known/openid-configuration` whose `issuer` has the
 *   caller's own scheme+host (MSAL validates it against the authority), the JWKS, and the
 *   client-credentials token endpoint. MSAL's instance discovery always goes to
 *   login.microsoftonline.com, so the credential must be built with `disableInstanceDiscovery: true`.
 * - the App Service / Functions managed-identity endpoint (plain HTTP, as on App Service, where
 *   `IDENTITY_ENDPOINT` is `http://127.0.0.1:<port>/msi/token`): `GET ?api-version=2019-08-01&resource=…`
 *   with the `X-IDENTITY-HEADER` secret, optionally `client_id` / `mi_res_id` / `object_id` for a
 *   user-assigned identity.
 *
 * Emulator-specific fault: `tokenExpiry` (the next token(s) are already expired when issued; the
 * response still announces the usual lifetime, as a token from a skewed clock would).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import type { JSONWebKeySet } from 'jose' with { 'resolution-mode': 'import' };

import { FaultInjector } from '../common/faults';
import {
  json,
  Router,
  startEmulatorServer,
  type EmulatorRequest,
  type EmulatorResponse,
  type RecordedRequest,
  type StartedServer,
} from '../common/server';
import { createTokenVerifier, SigningKey, type AccessTokenClaims, type TokenVerifier } from './tokens';

export const LOCAL_TENANT_ID = '5e17a000-0000-4000-8000-00000000e1d0';

export interface ClientApp {
  clientId: string;
  clientSecret: string;
  /** Object id of the app's service principal (the `oid` the DCR role assignment names). */
  objectId: string;
}

export interface ManagedIdentity {
  clientId: string;
  objectId: string;
  /** ARM id of a user-assigned identity (`mi_res_id`); absent for the system-assigned one. */
  resourceId?: string;
  /** The identity used when the request names none. At most one. */
  systemAssigned?: boolean;
}

export const DEFAULT_CLIENT: ClientApp = {
  clientId: '5e17a000-0000-4000-8000-0000000c11e7',
  clientSecret: 'local-only-client-secret',
  objectId: '5e17a000-0000-4000-8000-00000000a0b1',
};

export const DEFAULT_MANAGED_IDENTITIES: readonly ManagedIdentity[] = [
  {
    clientId: '5e17a000-0000-4000-8000-0000000005a1',
    objectId: '5e17a000-0000-4000-8000-00000000a0b2',
    systemAssigned: true,
  },
  {
    clientId: '5e17a000-0000-4000-8000-0000000005a2',
    objectId: '5e17a000-0000-4000-8000-00000000a0b3',
    resourceId:
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/sentry-local/providers/Microsoft.ManagedIdentity/userAssignedIdentities/sentry-ingest',
  },
];

export interface EntraEmulatorOptions {
  /** Certificate for the authority listener (see dev/emulators/tls). */
  tls: { key: string | Buffer; cert: string | Buffer };
  tenantId?: string;
  clients?: readonly ClientApp[];
  managedIdentities?: readonly ManagedIdentity[];
  /** The `IDENTITY_HEADER` secret; random by default. */
  identityHeader?: string;
  /** Lifetime of issued tokens (default 3599 s for client credentials, 86399 s for managed identity, as Entra does). */
  clientTokenLifetimeSec?: number;
  managedIdentityTokenLifetimeSec?: number;
  /** When set, the signing key is kept at `<dataDir>/entra/signing-key.json` and reused across restarts. */
  dataDir?: string;
  authorityPort?: number;
  identityPort?: number;
  faults?: FaultInjector;
}

export interface IssuedToken {
  via: 'client_credentials' | 'managed_identity';
  clientId: string;
  audience: string;
  expiresAt: number;
  /** Issued already expired by a `tokenExpiry` fault. */
  expired: boolean;
}

export interface EntraEmulator {
  /** Authority host for `authorityHost` / `AZURE_AUTHORITY_HOST` (https). */
  authorityHost: string;
  /** Same as `authorityHost`; the emulator convention. */
  url: string;
  tenantId: string;
  /** `IDENTITY_ENDPOINT` (http) and `IDENTITY_HEADER` for the App Service managed-identity source. */
  identityEndpoint: string;
  identityHeader: string;
  clients: readonly ClientApp[];
  managedIdentities: readonly ManagedIdentity[];
  faults: FaultInjector;
  /** Requests to the authority listener. */
  requests: RecordedRequest[];
  /** Requests to the managed-identity listener. */
  identityRequests: RecordedRequest[];
  issued: IssuedToken[];
  jwks(): JSONWebKeySet;
  /** Verifies a token this emulator issued: signature, audience, expiry and issuer. */
  verifyToken: TokenVerifier;
  /** Mints a token directly (tests that need one without going through a credential). */
  issueToken(input: {
    audience: string;
    clientId?: string;
    objectId?: string;
    lifetimeSec?: number;
    offsetSec?: number;
  }): Promise<string>;
  /** Settings for `ManagedIdentityCredential` (App Service source); `AZURE_CLIENT_ID` only for a user-assigned id. */
  managedIdentityEnv(userAssignedClientId?: string): Record<string, string>;
  /** Settings for `ClientSecretCredential` / `EnvironmentCredential`. */
  clientSecretEnv(client?: ClientApp): Record<string, string>;
  close(): Promise<void>;
}

interface AadErrorInput {
  status: number;
  error: string;
  aadsts: number;
  description: string;
}

/** Entra's token-endpoint error shape. */
function aadError({ status, error, aadsts, description }: AadErrorInput): EmulatorResponse {
  const traceId = randomBytes(16).toString('hex');
  return json(status, {
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Timestamp: ${new Date().toISOString()}`,
    error_codes: [aadsts],
    timestamp: new Date().toISOString().replace('T', ' ').replace('Z', 'Z'),
    trace_id: traceId,
    correlation_id: randomBytes(16).toString('hex'),
    error_uri: 'https://login.microsoftonline.com/error?code=' + String(aadsts),
  });
}

function parseForm(request: EmulatorRequest): URLSearchParams {
  return new URLSearchParams(request.body.toString('utf8'));
}

/** `https://monitor.azure.com/.default` → `https://monitor.azure.com`; `…com//.default` → `…com/`. */
export function resourceFromScope(scope: string): string | undefined {
  const scopes = scope.split(' ').filter((s) => s !== '');
  const resource = scopes.find((s) => s.endsWith('/.default'));
  if (
    resource === undefined ||
    scopes.some((s) => s !== resource && !['openid', 'profile', 'offline_access'].includes(s))
  )
    return undefined;
  return resource.slice(0, -'/.default'.length);
}

export async function startEntraEmulator(options: EntraEmulatorOptions): Promise<EntraEmulator> {
  const tenantId = options.tenantId ?? LOCAL_TENANT_ID;
  const clients = options.clients ?? [DEFAULT_CLIENT];
  const managedIdentities = options.managedIdentities ?? DEFAULT_MANAGED_IDENTITIES;
  const identityHeader = options.identityHeader ?? randomBytes(24).toString('hex');
  const clientLifetime = options.clientTokenLifetimeSec ?? 3599;
  const miLifetime = options.managedIdentityTokenLifetimeSec ?? 86_399;
  const faults = options.faults ?? new FaultInjector();
  const key = await SigningKey.load(
    options.dataDir === undefined ? undefined : join(options.dataDir, 'entra', 'signing-key.json'),
  );
  const verifyToken = createTokenVerifier(key.jwks());
  const issued: IssuedToken[] = [];

  const mint = async (
    via: IssuedToken['via'],
    request: EmulatorRequest,
    input: { audience: string; clientId: string; objectId: string; lifetimeSec: number; resourceId?: string },
  ): Promise<{ token: string; claims: AccessTokenClaims }> => {
    const expiry = faults.take('tokenExpiry', { method: request.method, url: request.raw.url });
    const expiredBySec = typeof expiry?.params?.expiredBySec === 'number' ? expiry.params.expiredBySec : 300;
    const result = await key.issue({
      audience: input.audience,
      tenantId,
      appId: input.clientId,
      objectId: input.objectId,
      lifetimeSec: input.lifetimeSec,
      ...(expiry === undefined ? {} : { offsetSec: -(input.lifetimeSec + expiredBySec) }),
      ...(input.resourceId === undefined ? {} : { managedIdentityResourceId: input.resourceId }),
    });
    issued.push({
      via,
      clientId: input.clientId,
      audience: input.audience,
      expiresAt: result.claims.exp,
      expired: expiry !== undefined,
    });
    return result;
  };

  const checkTenant = (request: EmulatorRequest): EmulatorResponse | undefined =>
    request.params.tenant === tenantId
      ? undefined
      : aadError({
          status: 400,
          error: 'invalid_tenant',
          aadsts: 90002,
          description: `Tenant '${request.params.tenant ?? ''}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        });

  const origin = (request: EmulatorRequest): string => `https://${request.headers.host ?? request.url.host}`;

  const authority = new Router()
    .on('GET', '/{tenant}/v2.0/.well-known/openid-configuration', (req) => {
      const bad = checkTenant(req);
      if (bad !== undefined) return bad;
      const base = `${origin(req)}/${tenantId}`;
      return json(200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/v2.0`,
        request_uri_parameter_supported: false,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'azp', 'appid', 'ver'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
      });
    })
    .on('GET', '/{tenant}/discovery/v2.0/keys', (req) => checkTenant(req) ?? json(200, key.jwks()))
    .on('GET', '/_jwks', () => json(200, key.jwks()))
    .on('POST', '/{tenant}/oauth2/v2.0/token', async (req) => {
      const bad = checkTenant(req);
      if (bad !== undefined) return bad;
      const form = parseForm(req);
      if (form.get('grant_type') !== 'client_credentials') {
        return aadError({
          status: 400,
          error: 'unsupported_grant_type',
          aadsts: 70003,
          description: 'The app requested an unsupported grant type.',
        });
      }
      // client_secret_post (MSAL's choice) or client_secret_basic.
      let clientId = form.get('client_id') ?? undefined;
      let secret = form.get('client_secret') ?? undefined;
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
      if (basic?.[1] !== undefined) {
        const [id, pass] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
        clientId ??= decodeURIComponent(id ?? '');
        secret ??= decodeURIComponent(pass ?? '');
      }
      const app = clients.find((c) => c.clientId === clientId);
      if (app === undefined) {
        return aadError({
          status: 400,
          error: 'unauthorized_client',
          aadsts: 700016,
          description: `Application with identifier '${clientId ?? ''}' was not found in the directory '${tenantId}'.`,
        });
      }
      if (secret === undefined || secret !== app.clientSecret) {
        return aadError({
          status: 401,
          error: 'invalid_client',
          aadsts: 7000215,
          description:
            'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
        });
      }
      const resource = resourceFromScope(form.get('scope') ?? '');
      if (resource === undefined) {
        return aadError({
          status: 400,
          error: 'invalid_scope',
          aadsts: 1002012,
          description: `The provided value for scope ${form.get('scope') ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        });
      }
      const { token } = await mint('client_credentials', req, {
        audience: resource,
        clientId: app.clientId,
        objectId: app.objectId,
        lifetimeSec: clientLifetime,
      });
      return json(200, {
        token_type: 'Bearer',
        expires_in: clientLifetime,
        ext_expires_in: clientLifetime,
        access_token: token,
      });
    });

  const identity = new Router()
    .on('GET', '/_jwks', () => json(200, key.jwks()))
    .on('GET', '/msi/token', async (req) => {
      // App Service answers these with {statusCode, message}; MSAL reads `message`. Exact texts are [UNVERIFIED].
      const fail = (status: number, message: string) =>
        json(status, { statusCode: status, message, correlationId: randomBytes(16).toString('hex') });
      if (req.headers['x-identity-header'] !== identityHeader)
        return fail(401, 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.');
      if (req.query.get('api-version') !== '2019-08-01')
        return fail(400, `Unsupported api-version '${req.query.get('api-version') ?? ''}'; expected 2019-08-01.`);
      const resource = req.query.get('resource');
      if (resource === null || resource === '') return fail(400, 'The resource parameter is required.');
      const clientId = req.query.get('client_id');
      const resourceId = req.query.get('mi_res_id');
      const objectId = req.query.get('object_id') ?? req.query.get('principal_id');
      const mi =
        clientId !== null
          ? managedIdentities.find((m) => m.clientId === clientId)
          : resourceId !== null
            ? managedIdentities.find((m) => m.resourceId?.toLowerCase() === resourceId.toLowerCase())
            : objectId !== null
              ? managedIdentities.find((m) => m.objectId === objectId)
              : managedIdentities.find((m) => m.systemAssigned === true);
      if (mi === undefined) {
        return fail(
          400,
          'No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.',
        );
      }
      const { token, claims } = await mint('managed_identity', req, {
        audience: resource,
        clientId: mi.clientId,
        objectId: mi.objectId,
        lifetimeSec: miLifetime,
        ...(mi.resourceId === undefined ? {} : { resourceId: mi.resourceId }),
      });
      // The announced expiry is the normal one even for a `tokenExpiry` token (see header).
      const announced = claims.exp < Date.now() / 1000 ? Math.floor(Date.now() / 1000) + miLifetime : claims.exp;
      return json(200, {
        access_token: token,
        expires_on: String(announced),
        resource,
        token_type: 'Bearer',
        client_id: mi.clientId,
      });
    });

  let authorityServer: StartedServer | undefined;
  let identityServer: StartedServer | undefined;
  try {
    authorityServer = await startEmulatorServer({
      name: 'entra',
      router: authority,
      tls: options.tls,
      faults,
      ...(options.authorityPort === undefined ? {} : { port: options.authorityPort }),
    });
    identityServer = await startEmulatorServer({
      name: 'entra-managed-identity',
      router: identity,
      faults,
      ...(options.identityPort === undefined ? {} : { port: options.identityPort }),
    });
  } catch (error) {
    await authorityServer?.close();
    throw error;
  }
  const started = { authority: authorityServer, identity: identityServer };
  const identityEndpoint = `${started.identity.url}/msi/token`;

  return {
    authorityHost: started.authority.url,
    url: started.authority.url,
    tenantId,
    identityEndpoint,
    identityHeader,
    clients,
    managedIdentities,
    faults,
    requests: started.authority.requests,
    identityRequests: started.identity.requests,
    issued,
    jwks: () => key.jwks(),
    verifyToken,
    issueToken: async (input) => {
      const app = clients[0] ?? DEFAULT_CLIENT;
      const { token } = await key.issue({
        audience: input.audience,
        tenantId,
        appId: input.clientId ?? app.clientId,
        objectId: input.objectId ?? app.objectId,
        lifetimeSec: input.lifetimeSec ?? clientLifetime,
        ...(input.offsetSec === undefined ? {} : { offsetSec: input.offsetSec }),
      });
      return token;
    },
    managedIdentityEnv: (userAssignedClientId) => ({
      IDENTITY_ENDPOINT: identityEndpoint,
      IDENTITY_HEADER: identityHeader,
      ...(userAssignedClientId === undefined ? {} : { AZURE_CLIENT_ID: userAssignedClientId }),
    }),
    clientSecretEnv: (client = clients[0] ?? DEFAULT_CLIENT) => ({
      AZURE_AUTHORITY_HOST: started.authority.url,
      AZURE_TENANT_ID: tenantId,
      AZURE_CLIENT_ID: client.clientId,
      AZURE_CLIENT_SECRET: client.clientSecret,
    }),
    close: async () => {
      await Promise.all([started.authority.close(), started.identity.close()]);
    },
  };
}
