/** Panther PotentiallyMaliciousFileShared / Scanner malicious-content rule: Slack's malware scan flagged an upload. */
import { singleEventRule } from './common';

export const maliciousFileShared = singleEventRule({
  id: 'slack.audit.malicious-file-shared',
  title: 'Slack malicious file detected',
  description:
    'Slack detected malicious content in an uploaded file: the uploader is compromised or is spreading malware.',
  severity: 'critical',
  mitre: ['TA0002:T1204.002'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: { file_malicious_content_detected: { label: 'Malicious file detected' } },
});
