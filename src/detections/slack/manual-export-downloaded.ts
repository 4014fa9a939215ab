/** Scanner "manual export downloaded": someone downloaded a manual workspace/org export. */
import { singleEventRule } from './common';

export const manualExportDownloaded = singleEventRule({
  id: 'slack.audit.manual-export-downloaded',
  title: 'Slack manual export downloaded',
  description:
    'A manual export of workspace or user data was downloaded: a complete copy of conversations leaving Slack.',
  severity: 'high',
  mitre: ['TA0010:T1530'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: {
    manual_export_downloaded: { label: 'Manual export downloaded' },
    manual_user_export_downloaded: { label: 'Manual user export downloaded' },
  },
});
