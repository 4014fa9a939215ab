/**
 * Seed: downloads of sensitive files (the seed platform's "named-file downloads" / "Vitals" queries:
 * more than 10 in 14 days per user; docs/reference/seed-platform.md). A file is sensitive by id, by
 * name pattern, or by the channel it was shared in; audit entries do not carry the channel
 * (docs/reference/slack-api.md, "File entries carry no channel"), so the observer resolves it through
 * `files.info` behind a cache, only when sensitive channels are configured and the id/name did not
 * already decide.
 */
import { defineDetection, fields, type Observation } from '../define';
import { actorSubject, matchesPattern, eventObservation, fileName } from './common';

export const sensitiveFileDownloads = defineDetection({
  id: 'slack.audit.sensitive-file-downloads',
  title: 'Slack sensitive file downloads',
  description:
    'One user repeatedly downloaded files the organization marked as sensitive (by file id, file name pattern, or the channel they were shared in).',
  severity: 'high',
  mitre: ['TA0009:T1530'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_downloaded'],
  needs: (c) =>
    c.sensitiveFileIds.length + c.sensitiveFileNamePatterns.length + c.sensitiveChannelIds.length === 0
      ? 'what the organization calls sensitive: set sensitiveChannelIds (channel ids), sensitiveFileNamePatterns or sensitiveFileIds'
      : undefined,
  config: {
    threshold: fields.threshold(10),
    windowMinutes: fields.minutes(14 * 24 * 60),
    sensitiveFileIds: fields.list(),
    /** Whole words, extensions (`.kdbx`) or `/regular expressions/`, case-insensitive. */
    sensitiveFileNamePatterns: fields.list(),
    /** Channel ids; needs the files.info lookup (scope files:read) that the collector provides. */
    sensitiveChannelIds: fields.list(),
    ignoreUserIds: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const subject = actorSubject(row);
    const fileId = row.EntityId;
    if (subject === undefined || fileId === undefined || config.ignoreUserIds.includes(subject.id)) return null;
    const name = fileName(row) ?? '';
    const observe = (why: string): Observation =>
      eventObservation(row, subject.id, subject, `${name || fileId} (${why})`);
    if (config.sensitiveFileIds.includes(fileId)) return observe('file id');
    const pattern = matchesPattern(name, config.sensitiveFileNamePatterns);
    if (pattern !== undefined) return observe(`name ~ ${pattern}`);
    if (config.sensitiveChannelIds.length === 0) return null;
    return {
      needs: 'fileChannels',
      fileId,
      then(channels) {
        const hit = channels?.find((c) => config.sensitiveChannelIds.includes(c));
        return hit === undefined ? null : observe(`channel ${hit}`);
      },
    };
  },
  window: { kind: 'count', threshold: (c) => c.threshold, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window, config) {
    return {
      title: `${window.subject.name ?? window.subject.id} downloaded ${crossing.count} sensitive files within ${Math.round(config.windowMinutes / 1440)} days`,
      evidence: { files: crossing.items.map((i) => i.label ?? i.item).slice(-50) },
    };
  },
});
