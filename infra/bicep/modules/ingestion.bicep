// Logs Ingestion: one data collection endpoint and one data collection rule carrying every Sentry
// stream. Stream declarations and data flows are generated from src/transforms/streams.ts
// (npm run gen:streams); every flow targets the destination named 'sentryWorkspace'.
//
// Why a DCE rather than a kind 'Direct' DCR: it is the shape Microsoft deploys to test
// @azure/monitor-ingestion (azure-sdk-for-js sdk/monitor/test-resources.bicep), it is what Azure
// Monitor Private Link Scopes attach to when ingestion must stay private (a Direct DCR's own endpoint
// cannot), and its logsIngestion.endpoint is the long-standing GA output. It costs nothing extra.
//
// The caller must deploy the tables first (explicit dependsOn): outputStream is a string, and a DCR
// whose output table is missing fails with InvalidOutputTable.
param location string
param tags object = {}
param dataCollectionEndpointName string
param dataCollectionRuleName string

@description('Resource id of the Log Analytics workspace the streams land in.')
param workspaceResourceId string

var streamDeclarations = loadJsonContent('../generated/dcr-stream-declarations.json')
var dataFlows = loadJsonContent('../generated/dcr-data-flows.json')

resource dataCollectionEndpoint 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = {
  name: dataCollectionEndpointName
  location: location
  tags: tags
  properties: {
    description: 'Sentry Logs Ingestion endpoint'
    networkAcls: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource dataCollectionRule 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dataCollectionRuleName
  location: location
  tags: tags
  properties: {
    description: 'Sentry streams (Slack audit, Meraki, quarantine, findings, responses) into the Sentry custom tables'
    dataCollectionEndpointId: dataCollectionEndpoint.id
    streamDeclarations: streamDeclarations
    destinations: {
      logAnalytics: [
        {
          name: 'sentryWorkspace'
          workspaceResourceId: workspaceResourceId
        }
      ]
    }
    dataFlows: dataFlows
  }
}

output logsIngestionEndpoint string = dataCollectionEndpoint.properties.logsIngestion.endpoint
output dataCollectionRuleImmutableId string = dataCollectionRule.properties.immutableId
output dataCollectionRuleName string = dataCollectionRule.name
output dataCollectionRuleResourceId string = dataCollectionRule.id
