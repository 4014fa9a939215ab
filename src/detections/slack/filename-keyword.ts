/**
 * Seed: the seed platform's filename keyword sniffer (docs/reference/seed-platform.md): downloads of
 * files whose names contain sensitive keywords, more than 10 in 14 days per user. Images and video
 * are excluded (a screenshot named "salary chart" is noise).
 */
import { defineDetection, fields } from '../define';
import { actorSubject, matchesPattern, eventObservation, extensionOf, fileName } from './common';

export const DEFAULT_FILENAME_KEYWORDS = [
  'password',
  'passwords',
  'passwd',
  'confidential',
  'salary',
  'salaries',
  'payroll',
  'ssn',
  'social security',
  'secret',
  'secrets',
  'merger',
  'acquisition',
  'credential',
  'credentials',
  'bank details',
] as const;

export const MEDIA_EXTENSIONS = [
  'png',
  'jpg',
  'jpeg',
  'gif',
  'bmp',
  'heic',
  'webp',
  'svg',
  'tif',
  'tiff',
  'mp4',
  'mov',
  'avi',
  'mkv',
  'webm',
  'm4v',
] as const;

export const filenameKeyword = defineDetection({
  id: 'slack.audit.filename-keyword',
  title: 'Slack downloads of files with sensitive names',
  description:
    'One user downloaded many files whose names contain sensitive keywords (passwords, payroll, mergers…), excluding images and video.',
  severity: 'medium',
  mitre: ['TA0009:T1530'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_downloaded'],
  config: {
    threshold: fields.threshold(10),
    windowMinutes: fields.minutes(14 * 24 * 60),
    /** Whole words (`bank details`), extensions (`.kdbx`) or `/regular expressions/`, case-insensitive. */
    keywords: fields.list(DEFAULT_FILENAME_KEYWORDS),
    excludedExtensions: fields.list(MEDIA_EXTENSIONS),
    ignoreUserIds: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const name = fileName(row);
    const subject = actorSubject(row);
    if (name === undefined || subject === undefined || config.ignoreUserIds.includes(subject.id)) return null;
    const keyword = matchesPattern(name, config.keywords);
    if (keyword === undefined) return null;
    const ext = extensionOf(name);
    if (config.excludedExtensions.some((e) => e.toLowerCase() === ext)) return null;
    return eventObservation(row, subject.id, subject, `${name} (${keyword})`);
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    return {
      title: `${window.subject.name ?? window.subject.id} downloaded ${crossing.count} files with sensitive names`,
      evidence: { files: crossing.items.map((i) => i.label ?? i.item).slice(-50) },
    };
  },
});
