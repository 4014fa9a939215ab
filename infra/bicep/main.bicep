// Sentry on Azure: `azd up` provisions everything the Functions app needs, on the shape of the azd
// Flex Consumption TypeScript template (Azure-Samples/functions-quickstart-typescript-azd), plus the
// Log Analytics side: Microsoft Sentinel, the custom tables and the data collection rule generated
// from src/transforms/streams.ts, and the Sentinel content (parsers, hunting queries, analytics
// rules, workbook) kept as .kql files under kql/.
//
// Deployment order that matters (each is an explicit dependsOn below):
//   tables -> data collection rule   (a DCR whose output table is missing fails with InvalidOutputTable)
//   tables -> parsers -> analytics rules, workbook   (rule creation validates its KQL against the workspace)
//   role assignments -> function app  (Key Vault references resolve on first start)
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource; Flex Consumption regions only.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of whoever runs azd (a person, or the CI principal). Gets data-plane roles to set Key Vault secrets and to run the app locally against these resources. Empty to skip.')
param principalId string = ''

@description('Kind of principalId: User for a person, ServicePrincipal for a CI login.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Integrate the function app with a new virtual network and reach storage through private endpoints.')
param vnetEnabled bool = false

@description('Resource group name; default rg-<environment>.')
param resourceGroupName string = ''

// ---- App behaviour (app settings the config module reads) ----

@description('SENTRY_SOURCES: the sources to collect, a comma-separated subset of slackAudit, meraki.')
param sources string = 'slackAudit,meraki'

@description('SENTRY_POLL_INTERVAL_SECONDS: seconds between collection cycles.')
@minValue(15)
@maxValue(3600)
param pollIntervalSeconds int = 60

@description('SENTRY_TASK_HUB: Durable Functions task hub name (letters and digits, starting with a letter).')
@minLength(3)
@maxLength(45)
param taskHubName string = 'SentryHub'

@description('SENTRY_MERAKI_ORG_IDS: comma-separated Meraki organization ids (required when meraki is a source).')
param merakiOrgIds string = ''

@description('SENTRY_MERAKI_BASE_URL: Meraki Dashboard API base URL; change only for a regional Dashboard (e.g. China, India).')
param merakiBaseUrl string = 'https://api.meraki.com/api/v1/'

@description('SENTRY_SLACK_INCIDENT_CHANNEL: id of the Slack channel alerts are posted to (C…).')
param slackIncidentChannel string = ''

@description('SENTRY_SLACK_RESPONDER_IDS: comma-separated Slack user ids allowed to press response buttons.')
param slackResponderIds string = ''

@description('SENTRY_SLACK_RESPONDER_GROUP: Slack user group id (S…) whose members may respond.')
param slackResponderGroup string = ''

@description('SENTRY_SLACK_ONCALL_GROUP: Slack user group id (S…) mentioned on high-severity alerts.')
param slackOncallGroup string = ''

@description('SENTRY_DETECTIONS_CONFIG: JSON document of per-detection overrides; empty for the defaults.')
param detectionsConfig string = ''

@description('SENTRY_INCIDENT_ESCALATION_MINUTES: minutes an incident waits for a responder before escalating.')
@minValue(1)
@maxValue(1440)
param incidentEscalationMinutes int = 15

@description('SENTRY_INCIDENT_SNOOZE_DAYS: days a snoozed incident stays quiet.')
@minValue(1)
@maxValue(90)
param incidentSnoozeDays int = 7

@description('SENTRY_INCIDENT_AUTO_ACTIONS: detection[@severity[+]]=action rules run when nobody responds in time; empty for the app default, none to disable.')
param incidentAutoActions string = ''

@description('SENTRY_SLACK_AUDIT_ORG: key of the Slack enterprise, landed as SourceOrg; empty for the app default (slack).')
param slackAuditOrg string = ''

@description('SENTRY_SLACK_AUDIT_ACTIONS: comma-separated audit actions to collect; empty for every action.')
param slackAuditActions string = ''

@description('SENTRY_SLACK_AUDIT_DENY_ACTIONS: comma-separated audit actions never landed.')
param slackAuditDenyActions string = ''

@description('SENTRY_MERAKI_WEBHOOK_NETWORKS: comma-separated Meraki network ids whose events arrive by webhook instead of polling (all for every network); empty to poll every network.')
param merakiWebhookNetworks string = ''

@description('More app settings, merged over the ones below: the optional tuning settings listed in docs/deploy.md (e.g. {"SENTRY_SLACK_AUDIT_PAGE_SIZE": "500"}). Never secrets.')
param extraAppSettings object = {}

@description('SENTRY_MERAKI_BLOCK_GROUP_POLICY_ID: Meraki group policy a blocked client is moved to; empty to use the built-in Blocked policy.')
param merakiBlockGroupPolicyId string = ''

// ---- Secrets: written to Key Vault when given; the app reads them through Key Vault references ----

@secure()
@description('Slack org-owner user token (xoxp-…) with auditlogs:read, for the Audit Logs API.')
param slackAuditToken string = ''

@secure()
@description('Slack bot token (xoxb-…) for chat, users, user groups and files.info.')
param slackBotToken string = ''

@secure()
@description('Slack signing secret, to verify interactivity requests.')
param slackSigningSecret string = ''

@secure()
@description('Slack SCIM token (a user token with the admin scope), for user deactivation.')
param slackScimToken string = ''

@secure()
@description('Optional separate Slack org-level user token with admin.users:read/write for session reset and invalidation; the app uses the audit token when absent.')
param slackAdminToken string = ''

@secure()
@description('Meraki Dashboard API key.')
param merakiApiKey string = ''

@secure()
@description('Shared secret the Meraki webhook HTTP server sends in every alert body.')
param merakiWebhookSecret string = ''

@description('Comma-separated Key Vault secret names managed outside azd (set with az keyvault secret set), e.g. slack-scim-token,meraki-api-key; their app settings are written even when the matching secure parameter is empty.')
param externalSecrets string = ''

// ---- Log Analytics, Sentinel, hosting ----

@description('Retention of the workspace and the Sentry tables, in days (Sentinel includes 90 days).')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

@description('Create the Sentinel analytics rules enabled. They are created disabled by default: the app raises the same detections itself, so turn these on only if Sentinel incidents are wanted too.')
param analyticsRulesEnabled bool = false

@description('Flex Consumption maximum instance count (40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Flex Consumption instance memory, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

var functionAppName = '${abbrs.webSitesFunctions}sentry-${resourceToken}'
var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
var keyVaultName = '${abbrs.keyVaultVaults}${resourceToken}'
var workspaceName = '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
var deploymentStorageContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

// Service URIs are built from the account name so the app settings need no runtime lookup.
var storageEndpoints = {
  blob: 'https://${storageAccountName}.blob.${environment().suffixes.storage}/'
  queue: 'https://${storageAccountName}.queue.${environment().suffixes.storage}/'
  table: 'https://${storageAccountName}.table.${environment().suffixes.storage}/'
}
var keyVaultUri = 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/'
var externalSecretNames = map(split(externalSecrets, ','), name => trim(name))

// Routes the app registers (dev/stack wires the emulators to the same paths).
var slackInteractivityPath = '/api/slack/interactivity'
var merakiWebhookPath = '/api/meraki/webhook'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The app's only identity: host storage, state tables, Key Vault references, Logs Ingestion, App Insights.
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}sentry-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

// Host storage without shared keys: the deployment package container, Durable's task hub (blobs,
// queues, tables) and the app's own state tables (checkpoints, windows, incidents…).
module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: vnetEnabled
      ? {
          defaultAction: 'Deny'
          bypass: 'None'
        }
      : {
          defaultAction: 'Allow'
          bypass: 'AzureServices'
        }
    blobServices: {
      containers: [
        {
          name: deploymentStorageContainerName
        }
      ]
    }
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: workspaceName
    location: location
    tags: tags
    dataRetention: logRetentionDays
  }
}

module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

module sentinel 'modules/sentinel-onboarding.bicep' = {
  name: 'sentinelOnboarding'
  scope: rg
  params: {
    workspaceName: logAnalytics.outputs.name
  }
}

module tables 'modules/log-tables.bicep' = {
  name: 'logTables'
  scope: rg
  params: {
    workspaceName: logAnalytics.outputs.name
    retentionInDays: logRetentionDays
  }
}

module ingestion 'modules/ingestion.bicep' = {
  name: 'ingestion'
  scope: rg
  params: {
    location: location
    tags: tags
    dataCollectionEndpointName: '${abbrs.insightsDataCollectionEndpoints}sentry-${resourceToken}'
    dataCollectionRuleName: '${abbrs.insightsDataCollectionRules}sentry-${resourceToken}'
    workspaceResourceId: logAnalytics.outputs.resourceId
  }
  // outputStream names are strings, so Bicep cannot infer that the DCR needs the tables.
  dependsOn: [
    tables
  ]
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    slackAuditToken: slackAuditToken
    slackBotToken: slackBotToken
    slackSigningSecret: slackSigningSecret
    slackScimToken: slackScimToken
    slackAdminToken: slackAdminToken
    merakiApiKey: merakiApiKey
    merakiWebhookSecret: merakiWebhookSecret
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    dataCollectionRuleName: ingestion.outputs.dataCollectionRuleName
    appInsightsName: appInsights.outputs.name
  }
}

module network 'modules/vnet.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: tags
  }
}

module storagePrivateEndpoints 'modules/storage-private-endpoints.bicep' = if (vnetEnabled) {
  name: 'storagePrivateEndpoints'
  scope: rg
  params: {
    location: location
    tags: tags
    virtualNetworkResourceId: vnetEnabled ? network.outputs.resourceId : ''
    subnetResourceId: vnetEnabled ? network.outputs.privateEndpointSubnetResourceId : ''
    storageAccountResourceId: storage.outputs.resourceId
  }
}

// A Key Vault reference is written for every secret that was given now or is declared external, so a
// secret that was never set is a missing setting (reported by name) rather than a reference that
// cannot resolve. Versionless URIs: a new secret version is picked up without a deployment.
var secretAppSettings = union(
  !empty(slackAuditToken) || contains(externalSecretNames, 'slack-audit-token')
    ? { SENTRY_SLACK_AUDIT_TOKEN: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/slack-audit-token)' }
    : {},
  !empty(slackBotToken) || contains(externalSecretNames, 'slack-bot-token')
    ? { SENTRY_SLACK_BOT_TOKEN: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/slack-bot-token)' }
    : {},
  !empty(slackSigningSecret) || contains(externalSecretNames, 'slack-signing-secret')
    ? { SENTRY_SLACK_SIGNING_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/slack-signing-secret)' }
    : {},
  !empty(slackScimToken) || contains(externalSecretNames, 'slack-scim-token')
    ? { SENTRY_SLACK_SCIM_TOKEN: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/slack-scim-token)' }
    : {},
  !empty(slackAdminToken) || contains(externalSecretNames, 'slack-admin-token')
    ? { SENTRY_SLACK_ADMIN_TOKEN: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/slack-admin-token)' }
    : {},
  !empty(merakiApiKey) || contains(externalSecretNames, 'meraki-api-key')
    ? { SENTRY_MERAKI_API_KEY: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/meraki-api-key)' }
    : {},
  !empty(merakiWebhookSecret) || contains(externalSecretNames, 'meraki-webhook-secret')
    ? { SENTRY_MERAKI_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/meraki-webhook-secret)' }
    : {}
)

// Node arguments of the Functions worker, from the file the backfill bench also reads (V8 heap
// sizing that keeps a backfill's RSS low; docs/deploy.md says why these values).
var nodeArguments = loadJsonContent('./node-arguments.json').arguments

// Every app setting. Settings src/config/index.ts reads but that are not here are listed, with the
// reason, in docs/deploy.md ("App settings"); test/infra checks both directions.
var appSettings = union(
  {
    // Identity-based host storage (no connection string, shared keys are off). Durable's Azure
    // Storage provider needs clientId, not a resource id, for a user-assigned identity.
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.outputs.clientId
    AzureWebJobsStorage__blobServiceUri: storageEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storageEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storageEndpoints.table
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.outputs.connectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
    // With only a user-assigned identity attached, the SDK must be told which one to use.
    AZURE_CLIENT_ID: identity.outputs.clientId
    // Host setting: the arguments the host starts the Node worker with.
    languageWorkers__node__arguments: join(nodeArguments, ' ')
    SENTRY_TASK_HUB: taskHubName
    SENTRY_SOURCES: sources
    SENTRY_POLL_INTERVAL_SECONDS: string(pollIntervalSeconds)
    SENTRY_INGESTION_ENDPOINT: ingestion.outputs.logsIngestionEndpoint
    SENTRY_DCR_IMMUTABLE_ID: ingestion.outputs.dataCollectionRuleImmutableId
    SENTRY_SLACK_INCIDENT_CHANNEL: slackIncidentChannel
    SENTRY_SLACK_RESPONDER_IDS: slackResponderIds
    SENTRY_SLACK_RESPONDER_GROUP: slackResponderGroup
    SENTRY_SLACK_ONCALL_GROUP: slackOncallGroup
    SENTRY_MERAKI_BASE_URL: merakiBaseUrl
    SENTRY_MERAKI_ORG_IDS: merakiOrgIds
    SENTRY_MERAKI_BLOCK_GROUP_POLICY_ID: merakiBlockGroupPolicyId
    SENTRY_MERAKI_WEBHOOK_NETWORKS: merakiWebhookNetworks
    SENTRY_SLACK_AUDIT_ORG: slackAuditOrg
    SENTRY_SLACK_AUDIT_ACTIONS: slackAuditActions
    SENTRY_SLACK_AUDIT_DENY_ACTIONS: slackAuditDenyActions
    SENTRY_INCIDENT_ESCALATION_MINUTES: string(incidentEscalationMinutes)
    SENTRY_INCIDENT_SNOOZE_DAYS: string(incidentSnoozeDays)
    SENTRY_INCIDENT_AUTO_ACTIONS: incidentAutoActions
    SENTRY_DETECTIONS_CONFIG: detectionsConfig
  },
  extraAppSettings,
  secretAppSettings
)

module api 'modules/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: plan.outputs.resourceId
    identityResourceId: identity.outputs.resourceId
    deploymentContainerUrl: '${storageEndpoints.blob}${deploymentStorageContainerName}'
    appSettings: appSettings
    virtualNetworkSubnetId: vnetEnabled ? network.outputs.appSubnetResourceId : ''
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The identity needs its data roles before the host starts (task hub, Key Vault references, DCR),
  // and the secrets must exist before their references are resolved.
  dependsOn: [
    rbac
    keyVault
    storage
    storagePrivateEndpoints
  ]
}

module sentinelContent 'modules/sentinel-content.bicep' = {
  name: 'sentinelContent'
  scope: rg
  params: {
    workspaceName: logAnalytics.outputs.name
  }
  dependsOn: [
    tables
    sentinel
  ]
}

module analyticsRules 'modules/sentinel-rules.bicep' = {
  name: 'sentinelAnalyticsRules'
  scope: rg
  params: {
    workspaceName: logAnalytics.outputs.name
    enabled: analyticsRulesEnabled
  }
  // Rule creation validates the query: the tables and the parser functions it calls must exist.
  dependsOn: [
    tables
    sentinel
    sentinelContent
  ]
}

module workbook 'modules/sentinel-workbook.bicep' = {
  name: 'sentinelWorkbook'
  scope: rg
  params: {
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
  }
  dependsOn: [
    tables
    sentinelContent
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_URI string = 'https://${api.outputs.defaultHostname}'
output SLACK_INTERACTIVITY_URL string = 'https://${api.outputs.defaultHostname}${slackInteractivityPath}'
output MERAKI_WEBHOOK_URL string = 'https://${api.outputs.defaultHostname}${merakiWebhookPath}'
output APPLICATIONINSIGHTS_CONNECTION_STRING string = appInsights.outputs.connectionString
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVaultUri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_LOG_ANALYTICS_WORKSPACE_NAME string = logAnalytics.outputs.name
output AZURE_LOG_ANALYTICS_WORKSPACE_ID string = logAnalytics.outputs.logAnalyticsWorkspaceId
output SENTRY_APP_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output SENTRY_TASK_HUB string = taskHubName
output SENTRY_INGESTION_ENDPOINT string = ingestion.outputs.logsIngestionEndpoint
output SENTRY_DCR_IMMUTABLE_ID string = ingestion.outputs.dataCollectionRuleImmutableId
