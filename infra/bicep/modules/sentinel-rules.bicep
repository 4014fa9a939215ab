// Scheduled analytics rules mirroring the app's key detections (metadata in
// ../sentinel/analytics-rules.json, KQL in ../kql/rules/). The app raises these detections itself and
// alerts in Slack, so the rules are created disabled unless `enabled` is set: turn them on to also get
// Sentinel incidents. Rule creation validates each query against the workspace, so the caller deploys
// this module after the tables and the parser functions (explicit dependsOn).
param workspaceName string

@description('Create the rules enabled.')
param enabled bool = false

var rules = loadJsonContent('../sentinel/analytics-rules.json')

// loadTextContent needs literal paths, so each rule's query file is listed here by its key.
var queries = {
  'slack-mass-download': loadTextContent('../kql/rules/slack-mass-download.kql')
  'slack-sensitive-file-downloads': loadTextContent('../kql/rules/slack-sensitive-file-downloads.kql')
  'slack-filename-keyword': loadTextContent('../kql/rules/slack-filename-keyword.kql')
  'slack-failed-logins-one-ip': loadTextContent('../kql/rules/slack-failed-logins-one-ip.kql')
  'slack-privilege-escalation': loadTextContent('../kql/rules/slack-privilege-escalation.kql')
  'slack-anomaly': loadTextContent('../kql/rules/slack-anomaly.kql')
  'slack-login-after-deactivation': loadTextContent('../kql/rules/slack-login-after-deactivation.kql')
  'meraki-public-ip-change': loadTextContent('../kql/rules/meraki-public-ip-change.kql')
  'meraki-ids-alert': loadTextContent('../kql/rules/meraki-ids-alert.kql')
  'sentry-finding': loadTextContent('../kql/rules/sentry-finding.kql')
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

resource rule 'Microsoft.SecurityInsights/alertRules@2024-03-01' = [
  for r in rules: {
    scope: workspace
    name: guid(workspace.id, 'sentry', r.detectionId)
    kind: 'Scheduled'
    properties: {
      displayName: r.displayName
      description: '${r.description} Mirrors the Sentry app detection ${r.detectionId}.'
      severity: r.severity
      enabled: enabled
      query: queries[r.query]
      queryFrequency: r.queryFrequency
      queryPeriod: r.queryPeriod
      triggerOperator: 'GreaterThan'
      triggerThreshold: 0
      suppressionDuration: 'PT5H'
      suppressionEnabled: false
      tactics: r.tactics
      techniques: empty(r.techniques) ? null : r.techniques
      entityMappings: empty(r.entityMappings) ? null : r.entityMappings
      customDetails: {
        SourceOrg: 'SourceOrg'
      }
      eventGroupingSettings: {
        aggregationKind: 'AlertPerResult'
      }
      incidentConfiguration: {
        createIncident: true
        groupingConfiguration: {
          enabled: false
          reopenClosedIncident: false
          lookbackDuration: 'PT5H'
          matchingMethod: 'AllEntities'
        }
      }
    }
  }
]

output ruleNames array = [for (r, i) in rules: rule[i].name]
