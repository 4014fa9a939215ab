/** Panther LegalHoldPolicyModified: legal hold policies changed, released or emptied. */
import { singleEventRule } from './common';

export const legalHoldModified = singleEventRule({
  id: 'slack.audit.legal-hold-modified',
  title: 'Slack legal hold policy modified',
  description:
    'A legal hold was released, changed, or had entities removed or excluded: evidence under hold may be deleted.',
  severity: 'high',
  mitre: ['TA0005:T1562'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    legal_hold_policy_entities_deleted: { label: 'Legal hold entities removed' },
    legal_hold_policy_exclusion_added: { label: 'Legal hold exclusion added' },
    legal_hold_policy_released: { label: 'Legal hold released' },
    legal_hold_policy_updated: { label: 'Legal hold updated' },
  },
});
