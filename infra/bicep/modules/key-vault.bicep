// Key Vault (RBAC authorization) holding the app's secrets. A secret is written only when its value
// is given, so re-running `azd provision` without a value never blanks a secret that was set or
// rotated out of band (`az keyvault secret set`). The app reads every secret through a versionless
// Key Vault reference in its app settings, resolved with the user-assigned identity.
param name string
param location string
param tags object = {}

@secure()
param slackAuditToken string = ''
@secure()
param slackBotToken string = ''
@secure()
param slackSigningSecret string = ''
@secure()
param slackScimToken string = ''
@secure()
param slackAdminToken string = ''
@secure()
param merakiApiKey string = ''
@secure()
param merakiWebhookSecret string = ''

module vault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  name: 'vault'
  params: {
    name: name
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enableVaultForDeployment: false
    enableVaultForDiskEncryption: false
    enableVaultForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: name
}

resource slackAuditTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackAuditToken)) {
  parent: keyVault
  name: 'slack-audit-token'
  properties: {
    value: slackAuditToken
    contentType: 'Slack org-owner user token (xoxp), scope auditlogs:read'
  }
  dependsOn: [
    vault
  ]
}

resource slackBotTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackBotToken)) {
  parent: keyVault
  name: 'slack-bot-token'
  properties: {
    value: slackBotToken
    contentType: 'Slack bot token (xoxb)'
  }
  dependsOn: [
    vault
  ]
}

resource slackSigningSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackSigningSecret)) {
  parent: keyVault
  name: 'slack-signing-secret'
  properties: {
    value: slackSigningSecret
    contentType: 'Slack app signing secret'
  }
  dependsOn: [
    vault
  ]
}

resource slackScimTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackScimToken)) {
  parent: keyVault
  name: 'slack-scim-token'
  properties: {
    value: slackScimToken
    contentType: 'Slack SCIM token (user token, admin scope)'
  }
  dependsOn: [
    vault
  ]
}

resource slackAdminTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackAdminToken)) {
  parent: keyVault
  name: 'slack-admin-token'
  properties: {
    value: slackAdminToken
    contentType: 'Slack org-level user token (xoxp), scopes admin.users:read admin.users:write'
  }
  dependsOn: [
    vault
  ]
}

resource merakiApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(merakiApiKey)) {
  parent: keyVault
  name: 'meraki-api-key'
  properties: {
    value: merakiApiKey
    contentType: 'Meraki Dashboard API key'
  }
  dependsOn: [
    vault
  ]
}

resource merakiWebhookSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(merakiWebhookSecret)) {
  parent: keyVault
  name: 'meraki-webhook-secret'
  properties: {
    value: merakiWebhookSecret
    contentType: 'Meraki webhook shared secret'
  }
  dependsOn: [
    vault
  ]
}

output name string = vault.outputs.name
output resourceId string = vault.outputs.resourceId
output uri string = vault.outputs.uri
