// The Flex Consumption function app (Node 22), running as the user-assigned identity: the package
// is read from the deployment container with it, and Key Vault references resolve with it
// (keyVaultReferenceIdentity; without it Azure tries a system-assigned identity that does not exist
// and the references stay literal strings).
param name string
param location string
param tags object = {}
param appServicePlanId string

@description('Resource id of the user-assigned identity the app runs as.')
param identityResourceId string

@description('URL of the blob container azd deploys the package to.')
param deploymentContainerUrl string

@description('Every app setting (the platform adds none of its own on Flex).')
param appSettings object

@description('Subnet for VNet integration (delegated to Microsoft.App/environments); empty for none.')
param virtualNetworkSubnetId string = ''

param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

@description('azd deploys to the resource tagged with this service name (azure.yaml services.api).')
param serviceName string = 'api'

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [
        identityResourceId
      ]
    }
    keyVaultAccessIdentityResourceId: identityResourceId
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    virtualNetworkSubnetId: !empty(virtualNetworkSubnetId) ? virtualNetworkSubnetId : null
    appSettingsKeyValuePairs: appSettings
  }
}

output name string = site.outputs.name
output defaultHostname string = site.outputs.defaultHostname
output resourceId string = site.outputs.resourceId
