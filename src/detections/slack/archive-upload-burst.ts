/** Sentinel "Multiple archived files uploaded in short period": more than 10 archives per user in 15 minutes. */
import { defineDetection, fields } from '../define';
import { actorSubject, eventObservation, extensionOf, fileName } from './common';

/** Sentinel's list; `Z` is the one case-sensitive entry (compress), matched as written. */
export const ARCHIVE_EXTENSIONS = [
  'tar',
  'bz2',
  'gz',
  'tgz',
  'Z',
  'tbz2',
  'zst',
  'zip',
  'zipx',
  '7z',
  'rar',
  'sfx',
] as const;

export const archiveUploadBurst = defineDetection({
  id: 'slack.audit.archive-upload-burst',
  title: 'Slack burst of archive uploads',
  description:
    'One user uploaded many archive files in a few minutes: staging collected data for exfiltration, or spreading packed payloads.',
  severity: 'low',
  mitre: ['TA0009:T1560'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_uploaded'],
  config: {
    threshold: fields.threshold(10),
    windowMinutes: fields.minutes(15),
    archiveExtensions: fields.list(ARCHIVE_EXTENSIONS),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const name = fileName(row);
    const subject = actorSubject(row);
    if (name === undefined || subject === undefined) return null;
    const dot = name.lastIndexOf('.');
    const raw = dot <= 0 ? '' : name.slice(dot + 1);
    const ext = extensionOf(name);
    if (!config.archiveExtensions.some((e) => (e === 'Z' ? raw === 'Z' : e.toLowerCase() === ext))) return null;
    return eventObservation(row, subject.id, subject, name);
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window, config) {
    return {
      title: `${window.subject.name ?? window.subject.id} uploaded ${crossing.count} archives within ${config.windowMinutes} minutes`,
      evidence: { files: crossing.items.map((i) => i.label ?? i.item).slice(-50) },
    };
  },
});
