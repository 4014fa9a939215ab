export { azuriteConnectionString, azuriteEntry, DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, startAzurite } from './azurite';
export type { AzuriteInstance, AzuriteOptions } from './azurite';
