/** Panther IntuneMDMDisabled / Scanner Intune rule. */
import { singleEventRule } from './common';

export const intuneDisabled = singleEventRule({
  id: 'slack.audit.intune-disabled',
  title: 'Slack Intune MDM disabled',
  description: 'Microsoft Intune enforcement was disabled: unmanaged mobile devices can now reach Slack data.',
  severity: 'critical',
  mitre: ['TA0005:T1562.001'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: { intune_disabled: { label: 'Intune disabled' } },
});
