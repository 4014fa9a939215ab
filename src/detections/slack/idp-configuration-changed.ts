/** Panther IDPConfigurationChanged / Scanner IdP rule: the SSO identity provider configuration changed. */
import { singleEventRule } from './common';

export const idpConfigurationChanged = singleEventRule({
  id: 'slack.audit.idp-configuration-changed',
  title: 'Slack identity provider configuration changed',
  description:
    'An identity provider configuration was added, deleted or changed: whoever controls the IdP controls every sign-in.',
  severity: 'high',
  mitre: ['TA0006:T1556.007'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    idp_configuration_added: { label: 'IdP configuration added' },
    idp_configuration_deleted: { label: 'IdP configuration deleted' },
    idp_prod_configuration_updated: { label: 'IdP production configuration updated' },
  },
});
