/** Panther SSOSettingsChanged / Scanner SSO rule. */
import { singleEventRule } from './common';

export const ssoSettingsChanged = singleEventRule({
  id: 'slack.audit.sso-settings-changed',
  title: 'Slack SSO settings changed',
  description:
    'Single sign-on settings changed (e.g. SSO made optional), which can open password sign-in to accounts the IdP no longer guards.',
  severity: 'high',
  mitre: ['TA0006:T1556'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    'pref.sso_setting_changed': { label: 'SSO setting changed' },
    'pref.sign_in_with_slack_disabled': { severity: 'medium', label: 'Sign in with Slack disabled' },
  },
});
