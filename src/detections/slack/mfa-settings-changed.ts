/** Panther MFASettingsChanged / Scanner 2FA rule: the org's two-factor requirement changed. */
import { singleEventRule } from './common';

export const mfaSettingsChanged = singleEventRule({
  id: 'slack.audit.mfa-settings-changed',
  title: 'Slack two-factor requirement changed',
  description:
    'The two-factor authentication requirement (or SMS second factor policy) changed: weakening it exposes every account to password attacks.',
  severity: 'high',
  mitre: ['TA0006:T1556.006'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    'pref.two_factor_auth_changed': { label: '2FA requirement changed' },
    'pref.two_factor_prevent_sms_changed': { severity: 'medium', label: 'SMS 2FA policy changed' },
  },
});
