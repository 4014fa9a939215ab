// The Sentry custom tables, one per stream, from the table definitions generated out of
// src/transforms/streams.ts (npm run gen:streams). Deployed before the data collection rule and
// before any Sentinel content that queries them.
@description('Log Analytics workspace that holds the tables.')
param workspaceName string

@description('Interactive retention of every table, in days.')
param retentionInDays int

@description('Total retention (interactive + long-term) of every table, in days.')
param totalRetentionInDays int = retentionInDays

var tables = loadJsonContent('../generated/tables.json')

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

resource table 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = [
  for t in tables: {
    parent: workspace
    name: t.name
    properties: {
      plan: 'Analytics'
      retentionInDays: retentionInDays
      totalRetentionInDays: totalRetentionInDays
      schema: {
        name: t.name
        columns: t.columns
      }
    }
  }
]

output tableNames array = [for (t, i) in tables: table[i].name]
