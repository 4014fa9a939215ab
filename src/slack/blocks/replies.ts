/**
 * Thread replies and ephemeral notices of the incident workflow. A reply is one section block of
 * `verbatim` mrkdwn in which every outside value (a target's name, an error from a vendor) sits in a
 * code span, so Slack neither formats nor links it, plus a plain fallback `text` built only from
 * Sentry's own words and the mentions Sentry makes itself (the responder who acted, the on-call
 * group on escalation).
 */
import { codeSpan, escapeMrkdwn, plainText, truncate } from '../escape';
import type { ActionKind, Actor, OutcomeStatus, Severity } from '../../response/model';
import { actorText, slackDate } from './incident-alert';
import { type Block, LIMITS, type SlackMessageContent } from './types';

export const ACTION_NAMES: Readonly<Record<ActionKind, string>> = {
  acknowledge: 'acknowledged the incident',
  resetSessions: 'reset the sessions of',
  invalidateSession: 'invalidated session',
  deactivateUser: 'deactivated',
  blockIp: 'blocked',
  blockClient: 'blocked client',
  closeFalsePositive: 'closed the incident as a false positive',
  closeBenignPositive: 'closed the incident as a benign positive',
  snooze: 'snoozed the detection for this subject',
};

/** What an action did when the reply has no target to name. */
const UNNAMED: Readonly<Record<ActionKind, string>> = {
  acknowledge: 'acknowledged the incident',
  resetSessions: 'reset the user’s sessions',
  invalidateSession: 'invalidated the session',
  deactivateUser: 'deactivated the user',
  blockIp: 'blocked the IP',
  blockClient: 'blocked the client',
  closeFalsePositive: 'closed the incident as a false positive',
  closeBenignPositive: 'closed the incident as a benign positive',
  snooze: 'snoozed the detection for this subject',
};

function did(kind: ActionKind, targetName: string | undefined): string {
  return targetName === undefined ? UNNAMED[kind] : `${ACTION_NAMES[kind]}${target({ targetName })}`;
}

const VERBS: Readonly<Record<ActionKind, string>> = {
  acknowledge: 'acknowledge',
  resetSessions: 'reset the sessions of',
  invalidateSession: 'invalidate session',
  deactivateUser: 'deactivate',
  blockIp: 'block',
  blockClient: 'block client',
  closeFalsePositive: 'close as false positive',
  closeBenignPositive: 'close as benign positive',
  snooze: 'snooze',
};

const UNNAMED_VERBS: Readonly<Record<ActionKind, string>> = {
  ...VERBS,
  resetSessions: 'reset the user’s sessions',
  invalidateSession: 'invalidate the session',
  deactivateUser: 'deactivate the user',
  blockIp: 'block the IP',
  blockClient: 'block the client',
};

const USERGROUP_ID = /^S[A-Z0-9]{2,}$/;

export type ReplySpec =
  | {
      type: 'outcome';
      kind: ActionKind;
      by: Actor;
      status: OutcomeStatus;
      summary: string;
      /** How the target is named (outside text, shown in a code span). */
      targetName?: string | undefined;
      error?: { code: string; message: string } | undefined;
    }
  | {
      type: 'escalation';
      oncallGroup?: string | undefined;
      minutes: number;
      automaticAction?: ActionKind | undefined;
      automaticTarget?: string | undefined;
      /** Why no automatic action is taken (Sentry's own words). */
      automaticSkipped?: string | undefined;
    }
  | { type: 'stale'; hours: number }
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

function target(spec: { targetName?: string | undefined }): string {
  return spec.targetName === undefined ? '' : ` ${codeSpan(spec.targetName, 160)}`;
}

function sentence(text: string): string {
  return escapeMrkdwn(plainText(text, 500)).replace(/\.?$/, '.');
}

/** The reply's mrkdwn (outside values in code spans) and its plain fallback. */
function replyParts(spec: ReplySpec): { mrkdwn: string; fallback: string } {
  switch (spec.type) {
    case 'occurrence': {
      const severity = spec.severity === undefined ? '' : ` (${spec.severity})`;
      const what = `${spec.relation === 'earlier' ? 'An earlier' : 'A later'} separate occurrence of this detection for the same subject was found${severity}`;
      return {
        mrkdwn: `:mag: ${what}: ${spec.count} event${spec.count === 1 ? '' : 's'} from ${slackDate(spec.firstSeen)} to ${slackDate(spec.lastSeen)} (finding ${codeSpan(spec.findingId, 200)}). It is part of this incident now and listed under *Other occurrences*.`,
        fallback: `:mag: ${what} (finding ${escapeMrkdwn(plainText(spec.findingId, 200))}).`,
      };
    }
    case 'escalation': {
      const group =
        spec.oncallGroup !== undefined && USERGROUP_ID.test(spec.oncallGroup)
          ? `<!subteam^${spec.oncallGroup}>`
          : 'On-call';
      const head = `:rotating_light: ${group}: nobody acted on this incident within ${spec.minutes} min.`;
      const auto =
        spec.automaticAction !== undefined
          ? ` Sentry is taking the automatic action: ${did(spec.automaticAction, spec.automaticTarget)}.`
          : spec.automaticSkipped !== undefined
            ? ` ${sentence(spec.automaticSkipped)}`
            : '';
      const plainAuto =
        spec.automaticAction === undefined
          ? ''
          : ` Sentry is taking the automatic action: ${UNNAMED[spec.automaticAction]}.`;
      return { mrkdwn: `${head}${auto}`, fallback: `${head}${plainAuto}` };
    }
    case 'stale':
      return {
        mrkdwn: `:zzz: Closed as stale: nothing happened for ${spec.hours} h after escalation or the last response. A new finding opens a new alert.`,
        fallback: `Closed as stale after ${spec.hours} h without activity.`,
      };
    case 'outcome':
      break;
  }
  const who = actorText(spec.by);
  const summary = sentence(spec.summary);
  switch (spec.status) {
    case 'failed': {
      const why =
        spec.error === undefined ? '' : ` (${codeSpan(spec.error.code, 60)}: ${codeSpan(spec.error.message, 400)})`;
      return {
        mrkdwn: `:x: ${who} tried to ${VERBS[spec.kind]}${target(spec)}: failed${why}. ${summary} The button stays available to retry.`,
        fallback: `:x: ${who} tried to ${UNNAMED_VERBS[spec.kind]}: failed.`,
      };
    }
    case 'refused':
      return {
        mrkdwn: `:no_entry: ${who} asked to ${VERBS[spec.kind]}${target(spec)}: refused by a guardrail, nothing was done. ${summary}`,
        fallback: `:no_entry: ${who} asked to ${UNNAMED_VERBS[spec.kind]}: refused by a guardrail.`,
      };
    case 'skipped':
      return {
        mrkdwn: `:heavy_minus_sign: ${who}, ${VERBS[spec.kind]}${target(spec)}: ${summary}`,
        fallback: `:heavy_minus_sign: ${who}: nothing to do.`,
      };
    default:
      return {
        mrkdwn: `:white_check_mark: ${who} ${did(spec.kind, spec.targetName)}. ${summary}`,
        fallback: `:white_check_mark: ${who} ${UNNAMED[spec.kind]}.`,
      };
  }
}

/** The thread reply for a step: blocks for the channel, a plain fallback for notifications. */
export function replyMessage(spec: ReplySpec): SlackMessageContent {
  const parts = replyParts(spec);
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(parts.mrkdwn, LIMITS.sectionText), verbatim: true } },
  ];
  return { text: truncate(parts.fallback, LIMITS.fallbackText), blocks };
}

/** The reply's mrkdwn alone (what the channel shows). */
export function replyText(spec: ReplySpec): string {
  return replyParts(spec).mrkdwn;
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
