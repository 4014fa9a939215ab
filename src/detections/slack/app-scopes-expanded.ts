/** Panther AppAccessExpanded: an app gained scopes or resources (only when scopes were actually added). */
import { defineDetection, fields } from '../define';
import { entitySubject, eventObservation } from './common';
import { addedScopes, RISKY_SCOPES, riskyOf } from './app-scopes';

export const appScopesExpanded = defineDetection({
  id: 'slack.audit.app-scopes-expanded',
  title: 'Slack app access expanded',
  description: 'An app gained scopes, resources or an upgraded token: more data within reach of the app’s token.',
  severity: 'medium',
  mitre: ['TA0004:T1098'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['app_scopes_expanded', 'app_resources_added', 'app_resources_granted', 'bot_token_upgraded'],
  config: {
    windowMinutes: fields.minutes(60),
    approvedAppIds: fields.list(),
    riskyScopes: fields.list(RISKY_SCOPES),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const app = entitySubject(row);
    if (app === undefined || config.approvedAppIds.includes(app.id)) return null;
    const added = row.Action === 'app_scopes_expanded' ? addedScopes(row) : [];
    if (row.Action === 'app_scopes_expanded' && added.length === 0) return null;
    const risky = riskyOf(added, config.riskyScopes);
    // Risky changes are marked up front: labels are cut at 64 characters.
    return eventObservation(
      row,
      `${app.type}:${app.id}`,
      app,
      `${risky.length > 0 ? '!' : ''}${row.Action} ${added.map((s) => `+${s}`).join(' ')}`.trim(),
    );
  },
  window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    const risky = crossing.items.some((i) => (i.label ?? '').startsWith('!'));
    return {
      severity: risky ? 'high' : 'medium',
      title: `Slack app access expanded: ${window.subject.name ?? window.subject.id}`,
      evidence: { changes: crossing.items.map((i) => i.label ?? i.item) },
    };
  },
});
