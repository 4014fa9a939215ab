// Workspace functions and hunting queries. One parser function per Sentry table, named like the table
// without _CL (SentrySlackAudit, SentryMerakiUplink…): it drops the rows an interrupted upload chunk
// landed twice (same EventId) and, for Slack audit, looks the user agent up in SentryDimension_CL
// and restores the self-action entity. Rules, hunting queries and the workbook query the functions,
// never the raw tables, so a table can be versioned later without touching them. Deployed after the
// tables.
param workspaceName string

// loadTextContent needs literal paths, so every parser is listed here (test/infra checks that every
// table has one and that every .kql file is deployed somewhere).
var parsers = [
  {
    name: 'SentrySlackAudit'
    table: 'SentrySlackAudit_CL'
    query: loadTextContent('../kql/parsers/SentrySlackAudit.kql')
  }
  {
    name: 'SentryMerakiUplink'
    table: 'SentryMerakiUplink_CL'
    query: loadTextContent('../kql/parsers/SentryMerakiUplink.kql')
  }
  {
    name: 'SentryMerakiDevice'
    table: 'SentryMerakiDevice_CL'
    query: loadTextContent('../kql/parsers/SentryMerakiDevice.kql')
  }
  {
    name: 'SentryMerakiEvent'
    table: 'SentryMerakiEvent_CL'
    query: loadTextContent('../kql/parsers/SentryMerakiEvent.kql')
  }
  {
    name: 'SentryMerakiSecurity'
    table: 'SentryMerakiSecurity_CL'
    query: loadTextContent('../kql/parsers/SentryMerakiSecurity.kql')
  }
  {
    name: 'SentryQuarantine'
    table: 'SentryQuarantine_CL'
    query: loadTextContent('../kql/parsers/SentryQuarantine.kql')
  }
  {
    name: 'SentryFinding'
    table: 'SentryFinding_CL'
    query: loadTextContent('../kql/parsers/SentryFinding.kql')
  }
  {
    name: 'SentryResponse'
    table: 'SentryResponse_CL'
    query: loadTextContent('../kql/parsers/SentryResponse.kql')
  }
  {
    name: 'SentryDimension'
    table: 'SentryDimension_CL'
    query: loadTextContent('../kql/parsers/SentryDimension.kql')
  }
]

var huntingQueries = loadJsonContent('../sentinel/hunting-queries.json')

// The seed's use cases and saved searches, keyed like the entries of hunting-queries.json (literal
// paths again: loadTextContent cannot take a loop variable).
var huntingQueryText = {
  'slack-named-file-downloads': loadTextContent('../kql/hunting/slack-named-file-downloads.kql')
  'slack-filename-keyword-sniffer': loadTextContent('../kql/hunting/slack-filename-keyword-sniffer.kql')
  'slack-max-daily-downloads': loadTextContent('../kql/hunting/slack-max-daily-downloads.kql')
  'meraki-public-ip-changes': loadTextContent('../kql/hunting/meraki-public-ip-changes.kql')
  'slack-logins-via-single-ip': loadTextContent('../kql/hunting/slack-logins-via-single-ip.kql')
  'slack-user-multiple-ips': loadTextContent('../kql/hunting/slack-user-multiple-ips.kql')
  'meraki-device-public-ips': loadTextContent('../kql/hunting/meraki-device-public-ips.kql')
  'slack-blocked-mfa-logins': loadTextContent('../kql/hunting/slack-blocked-mfa-logins.kql')
  'slack-failed-logins-one-ip': loadTextContent('../kql/hunting/slack-failed-logins-one-ip.kql')
  'meraki-ids-outside-sources': loadTextContent('../kql/hunting/meraki-ids-outside-sources.kql')
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

resource parser 'Microsoft.OperationalInsights/workspaces/savedSearches@2020-08-01' = [
  for p in parsers: {
    parent: workspace
    name: 'sentry-parser-${toLower(p.name)}'
    properties: {
      category: 'Sentry parsers'
      displayName: '${p.name}: ${p.table} without repeated rows'
      query: p.query
      functionAlias: p.name
      version: 2
    }
  }
]

resource hunting 'Microsoft.OperationalInsights/workspaces/savedSearches@2020-08-01' = [
  for q in huntingQueries: {
    parent: workspace
    name: 'sentry-hunting-${q.query}'
    properties: {
      category: 'Hunting Queries'
      displayName: q.displayName
      query: huntingQueryText[q.query]
      version: 2
      tags: [
        {
          name: 'description'
          value: q.description
        }
        {
          name: 'tactics'
          value: join(q.tactics, ',')
        }
        {
          name: 'techniques'
          value: join(q.techniques, ',')
        }
      ]
    }
    dependsOn: [
      parser
    ]
  }
]

output parserFunctions array = [for p in parsers: p.name]
