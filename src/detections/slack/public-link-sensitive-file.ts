/**
 * Sentinel "Public link created for sensitive file": a public link on a file whose name looks like a
 * secret. Patterns match whole words, extensions or `/regular expressions/` (common.ts
 * `matchesPattern`), not substrings: Sentinel's `key` matched `Keynote`.
 */
import { defineDetection, fields } from '../define';
import { actorSubject, matchesPattern, eventObservation, fileName } from './common';

export const PUBLIC_LINK_SENSITIVE_PATTERNS = [
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'private key',
  'secret key',
  'api key',
  'apikey',
  'ssh key',
  'password',
  'passwords',
  'credentials',
  '.pem',
  '.p12',
  '.pfx',
  '.kdbx',
  '.ssh',
  '.npmrc',
  '.muttrc',
  '.gitconfig',
  '.netrc',
  '.pgpass',
  '.env',
  'config.json',
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
    /** Whole words (`api key`), extensions (`.pem`) or `/regular expressions/`, case-insensitive. */
    patterns: fields.list(PUBLIC_LINK_SENSITIVE_PATTERNS),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const name = fileName(row);
    const subject = actorSubject(row);
    if (name === undefined || subject === undefined) return null;
    const pattern = matchesPattern(name, config.patterns);
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
