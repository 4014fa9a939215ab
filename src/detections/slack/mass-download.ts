/**
 * Seed: maximum daily downloads (the seed platform's "max daily downloads": more than 20 per user
 * and IP in 24 h; docs/reference/seed-platform.md), measured against the user's own history instead
 * of one number for everyone:
 * - a burst: more than `burstThreshold` downloads within `burstMinutes` (scraping pace; needs no
 *   history, so it works from the first day);
 * - volume: more downloads within 24 h than the larger of the floor (`threshold`) and
 *   `baselineMultiplier` × the most this user downloaded from this address in any 24 h of the
 *   previous `baselineDays`. Until the user has `learningDays` of history with downloads on at least
 *   `minActiveDays` days of it, the bar is the floor × `baselineMultiplier`, so a heavy but ordinary
 *   user is not flagged while Sentry learns them (three quiet days say little about a busy week).
 */
import { type Crossing, defineDetection, fields, type ItemState, type SubjectWindow } from '../define';
import { countCrossing } from '../window-math';
import { actorSubject, eventObservation, fileName, ipAllowed } from './common';

const DAY = 86_400;

/** The most items any window of `seconds` held among `items` (sorted by time). */
function peakCount(items: readonly ItemState[], seconds: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < items.length; hi++) {
    const t = items[hi]?.t ?? 0;
    while (lo < hi && (items[lo]?.t ?? 0) <= t - seconds) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** The bar a 24 h count must pass for this window, judged at the crossing's first event. */
export function volumeBar(
  window: SubjectWindow,
  before: number,
  config: {
    threshold: number;
    baselineDays: number;
    learningDays: number;
    minActiveDays: number;
    baselineMultiplier: number;
  },
): number {
  const history = window.items.filter((i) => i.t < before - DAY && i.t >= before - config.baselineDays * DAY);
  const first = window.items[0]?.t;
  const activeDays = new Set(history.map((i) => Math.floor(i.t / DAY))).size;
  const learned =
    first !== undefined && before - first >= config.learningDays * DAY && activeDays >= config.minActiveDays;
  const multiplier = config.baselineMultiplier / 100;
  if (!learned) return Math.ceil(config.threshold * multiplier);
  return Math.max(config.threshold, Math.ceil(peakCount(history, DAY) * multiplier));
}

export const massDownload = defineDetection({
  id: 'slack.audit.mass-download',
  title: 'Slack mass file download',
  description:
    'One user downloaded files from one IP address at a scraping pace, or far more within a day than their own history: bulk collection before exfiltration, or a compromised session scraping files.',
  severity: 'medium',
  mitre: ['TA0009:T1530'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_downloaded'],
  learningDays: (c) => c.learningDays,
  config: {
    /** The floor: a day's downloads never alert at or below it. */
    threshold: fields.threshold(20),
    windowMinutes: fields.minutes(24 * 60),
    burstThreshold: fields.threshold(15),
    burstMinutes: fields.minutes(60),
    baselineDays: fields.days(14),
    learningDays: fields.days(7),
    /** Days with downloads the history needs before the user's own bar replaces the cautious one. */
    minActiveDays: fields.days(5),
    /** Percent of the user's busiest day that the volume bar sits at (200: twice their record). */
    baselineMultiplier: fields.threshold(200),
    ignoreUserIds: fields.list(),
    /** Exact IPs or IPv4 CIDRs. */
    ignoreIps: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const subject = actorSubject(row);
    if (subject === undefined || config.ignoreUserIds.includes(subject.id)) return null;
    const ip = row.SrcIpAddr ?? 'unknown';
    if (ipAllowed(ip, config.ignoreIps)) return null;
    return eventObservation(row, `${subject.id}|${ip}`, subject, fileName(row) ?? row.EntityId);
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.windowMinutes * 60,
    retentionSeconds: (c) => c.baselineDays * DAY,
    bucketSeconds: DAY,
    evaluate(window, config, env): Crossing | null {
      const burst = countCrossing(window, config.burstMinutes * 60, config.burstThreshold, env.since);
      if (burst !== null) return burst;
      const day = countCrossing(window, config.windowMinutes * 60, config.threshold, env.since);
      if (day === null) return null;
      return day.count > volumeBar(window, day.firstSeen, config) ? day : null;
    },
  },
  present(crossing, window, config) {
    const who = window.subject.name ?? window.subject.id;
    const ip = window.dedupeKey.slice(window.subject.id.length + 1);
    const span = crossing.lastSeen - crossing.firstSeen;
    const burst = span <= config.burstMinutes * 60 && crossing.count > config.burstThreshold;
    return {
      title: `${who} downloaded ${crossing.count} files from ${ip} within ${burst ? `${Math.max(1, Math.round(span / 60))} min` : `${config.windowMinutes / 60} h`}`,
      why: burst
        ? `${crossing.count} downloads within ${config.burstMinutes} min, above the burst threshold of ${config.burstThreshold}.`
        : `${crossing.count} downloads within ${config.windowMinutes / 60} h, above this user's bar (the larger of ${config.threshold} and ${config.baselineMultiplier}% of their busiest day in the previous ${config.baselineDays} days).`,
      evidence: { ip, files: [...new Set(crossing.items.map((i) => i.label ?? i.item))].slice(0, 50) },
    };
  },
});
