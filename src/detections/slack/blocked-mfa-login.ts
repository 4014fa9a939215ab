/**
 * Seed: login attempts by users blocked by the MFA policy. Slack documents no `details` for
 * `user_login_failed` (docs/reference/slack-api.md, "Login failures"), so which details mean
 * "refused because 2FA is required" is configuration ([UNVERIFIED] default
 * `reason: two_factor_auth_required`); users an admin has blocked can also be listed by id, and any
 * login attempt by them matches.
 */
import { defineDetection, fields } from '../define';
import { actorSubject, detailsOf, eventObservation, stringList } from './common';

export const blockedMfaLogin = defineDetection({
  id: 'slack.audit.blocked-mfa-login',
  title: 'Slack login attempt by an MFA-blocked user',
  description:
    'A sign-in was refused because the account has no second factor while policy requires one, or a user listed as blocked tried to sign in: a password that works for someone who should not be signing in.',
  severity: 'medium',
  mitre: ['TA0001:T1078', 'TA0006:T1110'],
  entities: { actor: 'victim', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['user_login_failed', 'user_login'],
  assumes:
    'Slack documents no details for user_login_failed: the rule assumes a refusal for missing 2FA carries details.reason "two_factor_auth_required". Look at one refused sign-in in your audit log and set mfaFailureReasons to what it carries.',
  config: {
    windowMinutes: fields.minutes(60),
    /** details.reason (string or list) values meaning the 2FA policy refused the sign-in. */
    mfaFailureReasons: fields.list(['two_factor_auth_required']),
    /** Users blocked from signing in: any attempt (failed or not) matches. */
    blockedUserIds: fields.list(),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const subject = actorSubject(row);
    if (subject === undefined) return null;
    const reasons = stringList(detailsOf(row).reason);
    const mfa = row.Action === 'user_login_failed' && reasons.some((r) => config.mfaFailureReasons.includes(r));
    const blocked = config.blockedUserIds.includes(subject.id);
    if (!mfa && !blocked) return null;
    return eventObservation(
      row,
      subject.id,
      subject,
      mfa ? `${row.Action}: ${reasons.join(',')}` : `${row.Action} (blocked user)`,
    );
  },
  window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    return {
      title: `${window.subject.name ?? window.subject.id}: ${crossing.count} sign-in attempts refused by the MFA policy`,
    };
  },
});
