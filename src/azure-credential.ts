/**
 * The Entra credential every Azure client of the app uses. In Azure it is the app's user-assigned
 * managed identity (AZURE_CLIENT_ID); a client secret is honoured where one is configured (a
 * developer running against real Azure). Locally, the stack's identity endpoint stands in for the
 * platform's (IDENTITY_ENDPOINT/IDENTITY_HEADER, read by the SDK itself), so this code is the same.
 */
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

import type { Config } from './config';

let cached: { key: string; credential: TokenCredential } | undefined;

export function azureCredential(config: Config): TokenCredential {
  const { clientId, tenantId, clientSecret, authorityHost } = config.azure;
  const key = [clientId, tenantId, authorityHost, clientSecret === undefined ? '' : 'secret'].join('|');
  if (cached?.key === key) return cached.credential;
  let credential: TokenCredential;
  if (clientSecret !== undefined && clientId !== undefined && tenantId !== undefined) {
    // Instance discovery calls login.microsoftonline.com first; a configured authority is trusted as is.
    credential = new ClientSecretCredential(tenantId, clientId, clientSecret, {
      ...(authorityHost === undefined ? {} : { authorityHost, disableInstanceDiscovery: true }),
    });
  } else if (clientId !== undefined) {
    credential = new ManagedIdentityCredential({ clientId });
  } else {
    credential = new DefaultAzureCredential();
  }
  cached = { key, credential };
  return credential;
}
