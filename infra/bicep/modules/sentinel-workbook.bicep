// The seed's two dashboards as one Sentinel workbook with two tabs: daily downloads and risk tiers
// (DailyVitalsDashboard) and Meraki failover (MerakiFailOverDashboard); see
// docs/reference/seed-platform.md, "Seed workbooks". Queries live in ../kql/workbook/ and call the
// parser functions, so the caller deploys this after them.
param location string
param tags object = {}
param workspaceResourceId string

@description('Display name of the workbook in Sentinel.')
param displayName string = 'Sentry - Slack downloads and Meraki failover'

var logAnalytics = 'microsoft.operationalinsights/workspaces'

func queryItem(name string, title string, query string, visualization string) object => {
  type: 3
  name: name
  content: {
    version: 'KqlItem/1.0'
    title: title
    query: query
    size: 0
    queryType: 0
    resourceType: 'microsoft.operationalinsights/workspaces'
    timeContextFromParameter: 'TimeRange'
    visualization: visualization
  }
}

var downloadsTab = [
  queryItem('downloads-by-filetype', 'Downloads by file type', loadTextContent('../kql/workbook/downloads-by-filetype.kql'), 'barchart')
  queryItem('uploads-by-kind', 'Uploads: Excel, PDF, CSV, other (images left out)', loadTextContent('../kql/workbook/uploads-by-kind.kql'), 'piechart')
  queryItem('file-actions-hourly', 'File actions per hour', loadTextContent('../kql/workbook/file-actions-hourly.kql'), 'timechart')
  queryItem('download-risk-tiers', 'Sensitive file downloads by user: High 15+, Moderate 7-14, Low', loadTextContent('../kql/workbook/download-risk-tiers.kql'), 'table')
  queryItem('download-velocity', 'Download velocity (per hour)', loadTextContent('../kql/workbook/download-velocity.kql'), 'timechart')
]

var merakiTab = [
  queryItem('meraki-public-ips-per-device', 'Most public IPs per appliance in any 30 minutes', loadTextContent('../kql/workbook/meraki-public-ips-per-device.kql'), 'barchart')
  queryItem('meraki-ip-changes', 'Appliances whose public IP changed in the last 12 hours', loadTextContent('../kql/workbook/meraki-ip-changes.kql'), 'table')
]

var securityTab = [
  queryItem('meraki-security-hourly', 'MX security events per hour', loadTextContent('../kql/workbook/meraki-security-hourly.kql'), 'timechart')
  queryItem('meraki-security-sources', 'Outside sources of IDS alerts, most let through first', loadTextContent('../kql/workbook/meraki-security-sources.kql'), 'table')
]

var content = {
  version: 'Notebook/1.0'
  items: [
    {
      type: 1
      name: 'title'
      content: {
        json: '# Sentry\nSlack Enterprise audit and Cisco Meraki data landed by Sentry. Every query reads the Sentry parser functions, which drop rows an interrupted upload repeated.'
      }
    }
    {
      type: 9
      name: 'parameters'
      content: {
        version: 'KqlParameterItem/1.0'
        style: 'pills'
        queryType: 0
        resourceType: logAnalytics
        parameters: [
          {
            id: 'a6f0b7f4-1d0e-4f3e-9c1a-5b7f0c2d9e01'
            version: 'KqlParameterItem/1.0'
            name: 'TimeRange'
            label: 'Time range'
            type: 4
            isRequired: true
            value: {
              durationMs: 1209600000
            }
            typeSettings: {
              allowCustom: true
              selectableValues: [
                { durationMs: 86400000 }
                { durationMs: 604800000 }
                { durationMs: 1209600000 }
                { durationMs: 2592000000 }
              ]
            }
          }
          {
            id: 'b3c1d2e4-6f7a-4b8c-9d0e-1f2a3b4c5d02'
            version: 'KqlParameterItem/1.0'
            name: 'SensitiveFilePattern'
            label: 'Sensitive file name (regular expression)'
            type: 1
            value: 'daily_vitals'
          }
          {
            id: 'c4d2e3f5-7a8b-4c9d-8e1f-2a3b4c5d6e03'
            version: 'KqlParameterItem/1.0'
            name: 'selectedTab'
            type: 1
            value: 'downloads'
            isHiddenWhenLocked: true
          }
        ]
      }
    }
    {
      type: 11
      name: 'tabs'
      content: {
        version: 'LinkItem/1.0'
        style: 'tabs'
        links: [
          {
            id: 'd5e3f4a6-8b9c-4d0e-9f2a-3b4c5d6e7f04'
            cellValue: 'selectedTab'
            linkTarget: 'parameter'
            linkLabel: 'Daily downloads and risk tiers'
            subTarget: 'downloads'
            style: 'link'
          }
          {
            id: 'e6f4a5b7-9c0d-4e1f-8a3b-4c5d6e7f8a05'
            cellValue: 'selectedTab'
            linkTarget: 'parameter'
            linkLabel: 'Meraki failover'
            subTarget: 'meraki'
            style: 'link'
          }
          {
            id: 'f7a5b6c8-0d1e-4f2a-9b4c-5d6e7f8a9b06'
            cellValue: 'selectedTab'
            linkTarget: 'parameter'
            linkLabel: 'Meraki security events'
            subTarget: 'security'
            style: 'link'
          }
        ]
      }
    }
    {
      type: 12
      name: 'downloads'
      conditionalVisibility: {
        parameterName: 'selectedTab'
        comparison: 'isEqualTo'
        value: 'downloads'
      }
      content: {
        version: 'NotebookGroup/1.0'
        groupType: 'editable'
        items: downloadsTab
      }
    }
    {
      type: 12
      name: 'meraki'
      conditionalVisibility: {
        parameterName: 'selectedTab'
        comparison: 'isEqualTo'
        value: 'meraki'
      }
      content: {
        version: 'NotebookGroup/1.0'
        groupType: 'editable'
        items: merakiTab
      }
    }
    {
      type: 12
      name: 'security'
      conditionalVisibility: {
        parameterName: 'selectedTab'
        comparison: 'isEqualTo'
        value: 'security'
      }
      content: {
        version: 'NotebookGroup/1.0'
        groupType: 'editable'
        items: securityTab
      }
    }
  ]
  fallbackResourceIds: [
    workspaceResourceId
  ]
  '$schema': 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(workspaceResourceId, 'sentry-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'sentinel'
    sourceId: workspaceResourceId
    serializedData: string(content)
    version: 'Notebook/1.0'
  }
}

output workbookId string = workbook.id
