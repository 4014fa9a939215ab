export { azureTlsOptions, DEFAULT_HOSTS, ensureLocalCa, trustingEnv } from './local-ca';
export type { EnsureLocalCaOptions, LocalCa } from './local-ca';
export { testCa, testCaDir } from './test-ca';
