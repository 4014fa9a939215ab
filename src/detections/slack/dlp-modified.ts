/** Panther DLPModified / Scanner DLP rule: a native DLP rule deactivated or a violation deleted. */
import { singleEventRule } from './common';

export const dlpModified = singleEventRule({
  id: 'slack.audit.dlp-modified',
  title: 'Slack DLP rule modified',
  description:
    'A data loss prevention rule was deactivated or a DLP violation deleted: a way to exfiltrate without tripping DLP, or to hide that it tripped.',
  severity: 'high',
  mitre: ['TA0005:T1562.001'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    native_dlp_rule_deactivated: { label: 'DLP rule deactivated' },
    native_dlp_violation_deleted: { severity: 'medium', label: 'DLP violation deleted' },
  },
});
