/** Panther PrivateChannelMadePublic / Scanner private→public rule. */
import { singleEventRule } from './common';

export const privateChannelMadePublic = singleEventRule({
  id: 'slack.audit.private-channel-made-public',
  title: 'Slack private channel made public',
  description:
    'A private channel was converted to public: its whole history is now readable by everyone in the workspace.',
  severity: 'high',
  mitre: ['TA0009:T1213'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  subject: 'actor',
  actions: { private_channel_converted_to_public: { label: 'Private channel made public' } },
});
