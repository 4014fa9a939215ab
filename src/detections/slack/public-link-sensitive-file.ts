/** Sentinel "Public link created for sensitive file": a public link on a file whose name looks like a secret. */
import { defineDetection, fields } from '../define';
import { actorSubject, containsAny, eventObservation, fileName } from './common';

export const PUBLIC_LINK_SENSITIVE_PATTERNS = [
  'id_rsa',
  'password',
  'key',
  '.ssh',
  '.npmrc',
  '.muttrc',
  'config.json',
  '.gitconfig',
  '.netrc',
  'package.json',
  'gemfile',
  'bower.json',
  'config.gypi',
  'travis.yml',
] as const;

export const publicLinkSensitiveFile = defineDetection({
  id: 'slack.audit.public-link-sensitive-file',
  title: 'Slack public link created for a sensitive file',
  description:
    'A public (internet-reachable) link was created for a file whose name suggests keys, passwords or configuration secrets.',
  severity: 'medium',
  mitre: ['TA0010:T1567'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_public_link_created'],
  config: {
    windowMinutes: fields.minutes(60),
    /** Case-insensitive substrings of the file name. */
    patterns: fields.list(PUBLIC_LINK_SENSITIVE_PATTERNS),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const name = fileName(row);
    const subject = actorSubject(row);
    if (name === undefined || subject === undefined) return null;
    const pattern = containsAny(name, config.patterns);
    if (pattern === undefined) return null;
    return eventObservation(row, subject.id, subject, `${name} (${pattern})`, { fileId: row.EntityId });
  },
  window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    const files = crossing.items.map((i) => i.label ?? i.item);
    return {
      title: `${window.subject.name ?? window.subject.id} made ${files.length === 1 ? (files[0] ?? 'a file') : `${files.length} sensitive files`} public`,
      evidence: { files },
    };
  },
});
