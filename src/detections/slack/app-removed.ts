/** Panther AppRemoved: an app restricted, uninstalled or removed from a workspace. */
import { singleEventRule } from './common';

export const appRemoved = singleEventRule({
  id: 'slack.audit.app-removed',
  title: 'Slack app removed',
  description:
    'An app was restricted, uninstalled or removed from a workspace: a security integration being switched off, or cleanup after abuse.',
  severity: 'medium',
  mitre: ['TA0005:T1562.001'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    app_restricted: { label: 'App restricted' },
    app_uninstalled: { label: 'App uninstalled' },
    org_app_workspace_removed: { label: 'Org app removed from workspace' },
  },
});
