// Optional network (vnetEnabled): one subnet for the app's outbound VNet integration (Flex
// Consumption delegates it to Microsoft.App/environments) and one for the storage private endpoints.
param name string
param location string
param tags object = {}

var privateEndpointSubnetName = 'private-endpoints'
var appSubnetName = 'app'

module virtualNetwork 'br/public:avm/res/network/virtual-network:0.6.1' = {
  name: 'virtualNetwork'
  params: {
    name: name
    location: location
    tags: tags
    addressPrefixes: [
      '10.0.0.0/16'
    ]
    subnets: [
      {
        name: privateEndpointSubnetName
        addressPrefix: '10.0.1.0/24'
        privateEndpointNetworkPolicies: 'Disabled'
        privateLinkServiceNetworkPolicies: 'Enabled'
      }
      {
        name: appSubnetName
        addressPrefix: '10.0.2.0/24'
        privateEndpointNetworkPolicies: 'Disabled'
        privateLinkServiceNetworkPolicies: 'Enabled'
        delegation: 'Microsoft.App/environments'
      }
    ]
  }
}

output resourceId string = virtualNetwork.outputs.resourceId
output privateEndpointSubnetResourceId string = '${virtualNetwork.outputs.resourceId}/subnets/${privateEndpointSubnetName}'
output appSubnetResourceId string = '${virtualNetwork.outputs.resourceId}/subnets/${appSubnetName}'
