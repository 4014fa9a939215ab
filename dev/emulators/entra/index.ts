export {
  DEFAULT_CLIENT,
  DEFAULT_MANAGED_IDENTITIES,
  LOCAL_TENANT_ID,
  resourceFromScope,
  startEntraEmulator,
} from './entra-emulator';
export type { ClientApp, EntraEmulator, EntraEmulatorOptions, IssuedToken, ManagedIdentity } from './entra-emulator';
export { createTokenVerifier, SigningKey, TokenVerificationError, v1Issuer } from './tokens';
export type { AccessTokenClaims, TokenRejection, TokenVerifier, VerifierOptions } from './tokens';
