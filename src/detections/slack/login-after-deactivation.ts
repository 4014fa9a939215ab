/**
 * Sentinel "User login after deactivated": a user_login by a user within 24 h after that user was
 * deactivated (and not reactivated in between): a session or integration that survived offboarding.
 */
import { defineDetection, fields, type ItemState } from '../define';
import { actorSubject, entitySubject, eventObservation } from './common';

export const loginAfterDeactivation = defineDetection({
  id: 'slack.audit.login-after-deactivation',
  title: 'Slack login after deactivation',
  description:
    'A deactivated user signed in shortly after deactivation: an offboarding gap (SSO session, token or SCIM drift) or a compromised account being reused.',
  severity: 'high',
  mitre: ['TA0001:T1078'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['user_deactivated', 'user_reactivated', 'user_login'],
  config: {
    windowMinutes: fields.minutes(24 * 60),
  },
  match(input) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const subject = row.Action === 'user_login' ? actorSubject(row) : entitySubject(row);
    if (subject?.type !== 'user') return null;
    const kind = row.Action === 'user_login' ? 'l' : row.Action === 'user_deactivated' ? 'd' : 'r';
    const by = kind === 'l' ? row.SrcIpAddr : (row.ActorUserName ?? row.ActorUserId);
    const o = eventObservation(row, subject.id, subject, `${row.Action}${by === undefined ? '' : ` (${by})`}`);
    // Only a login's context describes the user; an admin's deactivation context (and the admin) does not.
    if (kind !== 'l') {
      delete o.facts;
      o.parties = [];
    }
    return { ...o, item: `${kind}:${row.EventId}` };
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.windowMinutes * 60,
    evaluate(window, config, env) {
      const windowSeconds = config.windowMinutes * 60;
      const since = env.since ?? -Infinity;
      const matched: ItemState[] = [];
      let deactivation: ItemState | undefined;
      let firstDeactivation: ItemState | undefined;
      for (const item of window.items) {
        if (item.item.startsWith('d:')) deactivation = item;
        else if (item.item.startsWith('r:')) deactivation = undefined;
        else if (
          item.item.startsWith('l:') &&
          deactivation !== undefined &&
          item.t > deactivation.t &&
          item.t - deactivation.t <= windowSeconds
        ) {
          firstDeactivation ??= deactivation;
          matched.push(item);
        }
      }
      const fresh = matched.filter((m) => m.t > since);
      if (fresh.length === 0 || firstDeactivation === undefined) return null;
      return {
        count: matched.length,
        newItems: env.since === undefined ? matched.length : fresh.length,
        firstSeen: firstDeactivation.t,
        lastSeen: matched[matched.length - 1]?.t ?? firstDeactivation.t,
        items: [firstDeactivation, ...matched],
      };
    },
  },
  present(crossing, window) {
    const logins = crossing.count;
    const hours = Math.round(((crossing.items[1]?.t ?? crossing.lastSeen) - crossing.firstSeen) / 360) / 10;
    return {
      title: `${window.subject.name ?? window.subject.id} signed in ${hours} h after being deactivated${logins > 1 ? ` (${logins} logins)` : ''}`,
      evidence: { timeline: crossing.items.map((i) => `${new Date(i.t * 1000).toISOString()} ${i.label ?? i.item}`) },
    };
  },
});
