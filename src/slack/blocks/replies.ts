/**
 * Thread replies and ephemeral notices of the incident workflow: short mrkdwn texts, escaped, with
 * only Sentry's own mentions (the responder who acted, the on-call group on escalation).
 */
import { codeSpan, escapeMrkdwn, plainText } from '../escape';
import type { ActionKind, Actor, Severity } from '../../response/model';
import { actorText, slackDate } from './incident-alert';
import { LIMITS } from './types';

export const ACTION_NAMES: Readonly<Record<ActionKind, string>> = {
  acknowledge: 'acknowledged the incident',
  resetSessions: 'reset the user’s sessions',
  invalidateSession: 'invalidated the session',
  deactivateUser: 'deactivated the user',
  blockIp: 'blocked the IP on the MX',
  blockClient: 'blocked the client',
  closeFalsePositive: 'closed the incident as a false positive',
  closeBenignPositive: 'closed the incident as a benign positive',
  snooze: 'snoozed the detection for this subject',
};

const USERGROUP_ID = /^S[A-Z0-9]{2,}$/;

export type ReplySpec =
  | {
      type: 'outcome';
      kind: ActionKind;
      by: Actor;
      status: 'succeeded' | 'failed' | 'skipped';
      summary: string;
      error?: { code: string; message: string } | undefined;
    }
  | { type: 'escalation'; oncallGroup?: string | undefined; minutes: number; automaticAction?: ActionKind | undefined }
  | {
      type: 'occurrence';
      /** Before or after the finding the message shows. */
      relation: 'earlier' | 'later';
      findingId: string;
      count: number;
      firstSeen: string;
      lastSeen: string;
      severity?: Severity | undefined;
    };

/** The thread reply for a step. */
export function replyText(spec: ReplySpec): string {
  if (spec.type === 'occurrence') {
    const severity = spec.severity === undefined ? '' : ` (${spec.severity})`;
    return plainTextLimit(
      `:mag: ${spec.relation === 'earlier' ? 'An earlier' : 'A later'} separate occurrence of this detection for the same subject was found${severity}: ${spec.count} event${spec.count === 1 ? '' : 's'} from ${slackDate(spec.firstSeen)} to ${slackDate(spec.lastSeen)} (finding ${codeSpan(spec.findingId, 200)}). It is part of this incident now and listed under *Other occurrences*.`,
    );
  }
  if (spec.type === 'escalation') {
    const group =
      spec.oncallGroup !== undefined && USERGROUP_ID.test(spec.oncallGroup)
        ? `<!subteam^${spec.oncallGroup}>`
        : 'On-call';
    const auto =
      spec.automaticAction === undefined
        ? ''
        : ` Sentry is taking the automatic action: ${ACTION_NAMES[spec.automaticAction]}.`;
    return plainTextLimit(
      `:rotating_light: ${group}: nobody acted on this incident within ${spec.minutes} min.${auto}`,
    );
  }
  const summary = escapeMrkdwn(plainText(spec.summary, 500));
  if (spec.status === 'failed') {
    const why =
      spec.error === undefined ? '' : ` (${escapeMrkdwn(plainText(`${spec.error.code}: ${spec.error.message}`, 500))})`;
    return plainTextLimit(
      `:x: ${actorText(spec.by)} tried to ${verb(spec.kind)}: failed${why}. ${summary} The button stays available to retry.`,
    );
  }
  if (spec.status === 'skipped') return plainTextLimit(`:heavy_minus_sign: ${actorText(spec.by)}: ${summary}`);
  return plainTextLimit(`:white_check_mark: ${actorText(spec.by)} ${ACTION_NAMES[spec.kind]}. ${summary}`);
}

function verb(kind: ActionKind): string {
  const map: Record<ActionKind, string> = {
    acknowledge: 'acknowledge',
    resetSessions: 'reset the user’s sessions',
    invalidateSession: 'invalidate the session',
    deactivateUser: 'deactivate the user',
    blockIp: 'block the IP',
    blockClient: 'block the client',
    closeFalsePositive: 'close as false positive',
    closeBenignPositive: 'close as benign positive',
    snooze: 'snooze',
  };
  return map[kind];
}

function plainTextLimit(text: string): string {
  return text.length > LIMITS.sectionText ? `${text.slice(0, LIMITS.sectionText - 1)}…` : text;
}

export type NoticeKind = 'unauthorized' | 'unavailable' | 'unknownIncident';

/** An ephemeral notice to the clicking user. */
export function noticeText(kind: NoticeKind, detail?: string): string {
  switch (kind) {
    case 'unauthorized':
      return ':no_entry: You are not an authorized responder for Sentry incidents, so nothing was done. The attempt was recorded.';
    case 'unavailable':
      return `:information_source: Nothing was done: ${escapeMrkdwn(plainText(detail ?? 'that action is no longer available on this incident', 500))}.`;
    default:
      return ':information_source: This incident is no longer open in Sentry, so nothing was done.';
  }
}
