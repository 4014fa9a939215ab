/**
 * Access tokens of the Entra emulator: RS256 JWTs shaped like Entra v1 app-only access tokens for
 * `https://monitor.azure.com` (the resource's tokens are v1: `iss` = `https://sts.windows.net/{tid}/`,
 * `appid`, `ver` 1.0); `azp` is added too so v2-minded checks work. Clients treat them as opaque; the
 * ingestion emulator verifies them with `verifyToken` (signature against this key set, audience,
 * expiry), as the real service does with Entra's published keys.
 *
 * jose is ESM-only; this CommonJS module loads it with a dynamic import.
 */
import { randomUUID, type webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import type * as JoseModule from 'jose' with { 'resolution-mode': 'import' };
import type { JSONWebKeySet, JWK, JWTPayload } from 'jose' with { 'resolution-mode': 'import' };

type Jose = typeof JoseModule;
let josePromise: Promise<Jose> | undefined;
const jose = (): Promise<Jose> => (josePromise ??= import('jose'));

export interface AccessTokenClaims extends JWTPayload {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  appid: string;
  azp: string;
  oid: string;
  sub: string;
  idtyp: 'app';
  ver: '1.0';
  uti: string;
  xms_mirid?: string;
}

export interface IssueTokenInput {
  /** The resource (`aud`), e.g. `https://monitor.azure.com`. */
  audience: string;
  tenantId: string;
  /** Client id of the app or managed identity (`appid`/`azp`). */
  appId: string;
  /** Object id of its service principal (`oid`/`sub`). */
  objectId: string;
  lifetimeSec: number;
  /** Shift `iat`/`nbf`/`exp` (seconds); `tokenExpiry` faults issue tokens whose `exp` is already past. */
  offsetSec?: number;
  managedIdentityResourceId?: string;
  nowMs?: number;
}

export type TokenRejection = 'malformed' | 'signature' | 'expired' | 'not_yet_valid' | 'audience' | 'issuer';

export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  constructor(
    readonly reason: TokenRejection,
    message: string,
  ) {
    super(message);
  }
}

export type TokenVerifier = (token: string, audience: string) => Promise<AccessTokenClaims>;

export const v1Issuer = (tenantId: string): string => `https://sts.windows.net/${tenantId}/`;

/** Trailing slashes differ with the scope spelling (`…com/.default` vs `…com//.default`); both are accepted. */
const audienceVariants = (audience: string): string[] => {
  const bare = audience.replace(/\/+$/, '');
  return [bare, `${bare}/`];
};

interface StoredKey {
  kid: string;
  privateJwk: JWK;
}

/** The emulator's signing key. Persisted when given a path so tokens cached by a running app survive an emulator restart. */
export class SigningKey {
  private constructor(
    readonly kid: string,
    private readonly privateKey: webcrypto.CryptoKey,
    readonly publicJwk: JWK,
  ) {}

  static async load(path?: string): Promise<SigningKey> {
    const j = await jose();
    if (path !== undefined) {
      const stored = await readFile(path, 'utf8').then(
        (text) => JSON.parse(text) as StoredKey,
        (error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw error;
        },
      );
      if (stored !== undefined) return SigningKey.fromJwk(stored.kid, stored.privateJwk);
    }
    const { privateKey } = await j.generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const kid = randomUUID();
    const privateJwk = await j.exportJWK(privateKey);
    if (path !== undefined) {
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify({ kid, privateJwk } satisfies StoredKey), { mode: 0o600 });
      await rename(temp, path);
    }
    return SigningKey.fromJwk(kid, privateJwk);
  }

  private static async fromJwk(kid: string, privateJwk: JWK): Promise<SigningKey> {
    const j = await jose();
    const privateKey = (await j.importJWK({ ...privateJwk, alg: 'RS256' }, 'RS256')) as webcrypto.CryptoKey;
    const { kty, n, e } = privateJwk;
    return new SigningKey(kid, privateKey, { kty, n, e, kid, use: 'sig', alg: 'RS256' });
  }

  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.publicJwk }] };
  }

  async issue(input: IssueTokenInput): Promise<{ token: string; claims: AccessTokenClaims }> {
    const j = await jose();
    const now = Math.floor((input.nowMs ?? Date.now()) / 1000) + (input.offsetSec ?? 0);
    const claims: AccessTokenClaims = {
      aud: input.audience,
      iss: v1Issuer(input.tenantId),
      iat: now,
      nbf: now,
      exp: now + input.lifetimeSec,
      tid: input.tenantId,
      appid: input.appId,
      azp: input.appId,
      oid: input.objectId,
      sub: input.objectId,
      idtyp: 'app',
      ver: '1.0',
      uti: randomUUID().replace(/-/g, ''),
      ...(input.managedIdentityResourceId === undefined ? {} : { xms_mirid: input.managedIdentityResourceId }),
    };
    const token = await new j.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .sign(this.privateKey);
    return { token, claims };
  }
}

export interface VerifierOptions {
  /** Accepted issuers; default: any `https://sts.windows.net/{tid}/` whose tid matches the token's `tid`. */
  issuers?: readonly string[];
  clockToleranceSec?: number;
}

/**
 * Builds a verifier over a key set (the Entra emulator's `jwks()` or its `/_jwks` route), checking the
 * RS256 signature, `aud`, `nbf`/`exp` and the issuer. Rejections carry a `reason` an emulator maps to its status.
 */
export function createTokenVerifier(jwks: JSONWebKeySet, options: VerifierOptions = {}): TokenVerifier {
  return async (token, audience) => {
    const j = await jose();
    const keys = j.createLocalJWKSet(jwks);
    let payload: JWTPayload;
    try {
      ({ payload } = await j.jwtVerify(token, keys, {
        algorithms: ['RS256'],
        audience: audienceVariants(audience),
        clockTolerance: options.clockToleranceSec ?? 0,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      const claim = (error as { claim?: string }).claim;
      const message = error instanceof Error ? error.message : String(error);
      if (code === 'ERR_JWT_EXPIRED') throw new TokenVerificationError('expired', 'The token is expired.');
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'aud') {
        throw new TokenVerificationError('audience', `The token audience is not ${audience}.`);
      }
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'nbf') {
        throw new TokenVerificationError('not_yet_valid', 'The token is not yet valid.');
      }
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY') {
        throw new TokenVerificationError('signature', 'The token signature is not valid.');
      }
      throw new TokenVerificationError('malformed', `The token could not be read: ${message}`);
    }
    const claims = payload as AccessTokenClaims;
    const issuers = options.issuers ?? (typeof claims.tid === 'string' ? [v1Issuer(claims.tid)] : []);
    if (!issuers.includes(claims.iss)) {
      throw new TokenVerificationError('issuer', 'The token issuer is not trusted.');
    }
    return claims;
  };
}
