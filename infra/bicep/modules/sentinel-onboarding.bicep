// Microsoft Sentinel on the workspace (the onboarding state alone enables it; no gallery solution
// is needed on current API versions).
param workspaceName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

resource onboarding 'Microsoft.SecurityInsights/onboardingStates@2024-03-01' = {
  scope: workspace
  name: 'default'
  properties: {}
}

output workspaceName string = workspace.name
