// Private endpoints (with private DNS zones linked to the VNet) for the blob, queue and table
// services of the host storage account: the function app reaches its task hub, state tables and
// deployment package privately when vnetEnabled turns public network access off.
param location string
param tags object = {}
param virtualNetworkResourceId string
param subnetResourceId string
param storageAccountResourceId string

var services = [
  'blob'
  'queue'
  'table'
]

module dnsZones 'br/public:avm/res/network/private-dns-zone:0.7.1' = [
  for service in services: {
    name: 'dns-${service}'
    params: {
      name: 'privatelink.${service}.${environment().suffixes.storage}'
      location: 'global'
      tags: tags
      virtualNetworkLinks: [
        {
          name: 'link-${service}-${take(uniqueString(virtualNetworkResourceId), 6)}'
          virtualNetworkResourceId: virtualNetworkResourceId
          registrationEnabled: false
          location: 'global'
          tags: tags
        }
      ]
    }
  }
]

module endpoints 'br/public:avm/res/network/private-endpoint:0.11.0' = [
  for (service, i) in services: {
    name: 'pep-${service}'
    params: {
      name: 'pep-${last(split(storageAccountResourceId, '/'))}-${service}'
      location: location
      tags: tags
      subnetResourceId: subnetResourceId
      privateLinkServiceConnections: [
        {
          name: '${service}-connection'
          properties: {
            privateLinkServiceId: storageAccountResourceId
            groupIds: [
              service
            ]
          }
        }
      ]
      privateDnsZoneGroup: {
        name: '${service}-dns'
        privateDnsZoneGroupConfigs: [
          {
            name: '${service}-record'
            privateDnsZoneResourceId: dnsZones[i].outputs.resourceId
          }
        ]
      }
    }
  }
]
