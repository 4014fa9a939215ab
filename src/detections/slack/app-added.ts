/**
 * Panther AppAdded: an app approved, installed, or added to a workspace. Routine installs are noise,
 * so apps on the org's approved list never alert, and by default neither do Slack App Directory
 * approved apps that ask for no risky scope; everything else does (high with a risky scope).
 */
import { defineDetection, fields } from '../define';
import { entityAttributes, entitySubject, eventObservation } from './common';
import { appScopes, RISKY_SCOPES, riskyOf } from './app-scopes';

export const appAdded = defineDetection({
  id: 'slack.audit.app-added',
  title: 'Slack app added',
  description:
    'An app was installed, approved or added to a workspace: apps act with their own tokens and scopes, a durable foothold when unvetted.',
  severity: 'medium',
  mitre: ['TA0003:T1098'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['app_approved', 'app_installed', 'org_app_workspace_added'],
  config: {
    windowMinutes: fields.minutes(60),
    approvedAppIds: fields.list(),
    /** Skip Slack App Directory approved apps unless they ask for a risky scope. */
    ignoreDirectoryApproved: fields.flag(true),
    riskyScopes: fields.list(RISKY_SCOPES),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const app = entitySubject(row);
    if (app?.type !== 'app' || config.approvedAppIds.includes(app.id)) return null;
    const risky = riskyOf(appScopes(row), config.riskyScopes);
    const directoryApproved = entityAttributes(row).is_directory_approved === true;
    if (config.ignoreDirectoryApproved && directoryApproved && risky.length === 0) return null;
    // Risky installs are marked up front: labels are cut at 64 characters.
    return eventObservation(
      row,
      `app:${app.id}`,
      app,
      `${risky.length > 0 ? '!' : ''}${row.Action} ${risky.join(' ')}`.trim(),
    );
  },
  window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    const risky = crossing.items.some((i) => (i.label ?? '').startsWith('!'));
    return {
      severity: risky ? 'high' : 'medium',
      title: `Slack app added: ${window.subject.name ?? window.subject.id}${risky ? ' (risky scopes)' : ''}`,
      evidence: { events: crossing.items.map((i) => i.label ?? i.item) },
    };
  },
});
