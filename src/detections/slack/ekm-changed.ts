/** Panther EKMConfigChanged, EKMSlackbotUnenrolled, EKMUnenrolled: Enterprise Key Management changes. */
import { singleEventRule } from './common';

export const ekmChanged = singleEventRule({
  id: 'slack.audit.ekm-changed',
  title: 'Slack Enterprise Key Management changed',
  description:
    'EKM logging was reconfigured, Slackbot unenrolled, or the org unenrolled from EKM: the customer-held keys no longer protect (or log) data as expected.',
  severity: 'high',
  mitre: ['TA0005:T1562'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    ekm_logging_config_set: { label: 'EKM logging changed' },
    ekm_slackbot_unenroll_notification_sent: { label: 'EKM Slackbot unenrolled' },
    ekm_unenrolled: { severity: 'critical', label: 'EKM unenrolled' },
  },
});
