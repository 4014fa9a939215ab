/**
 * The incident message: the responder's whole workspace, readable in ten seconds. Pure: the same
 * state gives the same blocks.
 *
 * Layout: header (severity + title) → status, then who did what to whom, from where, how often and
 * why it fired (one sentence from the detection) → context fields (detection, device, network, user
 * agents) → evidence as labelled facts → targets left without buttons and why (guardrails) → other
 * occurrences of the same key → a ready KQL query → context ids → recent activity → buttons that
 * name their targets and depend on the state (none once closed). Every outside string is escaped and
 * shown in a code span (escape.ts), mrkdwn is sent `verbatim`, only mentions Sentry builds itself
 * (`<@U…>` of a responder, `<!subteam^…>` of the on-call group, `<!date^…>`) are control sequences,
 * and every text is cut to its Block Kit limit with an ellipsis.
 */
import { ActionIds, encodeButtonValue } from '../action-ids';
import { codeBlock, codeSpan, escapeMrkdwn, plainText, truncate } from '../escape';
import { incidentQuery } from '../../response/kql';
import type { Actor, IncidentEntity, Severity } from '../../response/model';
import { type IncidentState, offeredActions, type StepRecord, withheldTargets } from '../../response/incident-state';
import { targetLabel } from '../../response/incident-state';
import { type ActionsBlock, type Block, type Button, type MrkdwnText, LIMITS, type SlackMessageContent } from './types';

const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: '🔴',
  high: '🟠',
  medium: '🟡',
  low: '🔵',
  informational: '⚪',
};

const CLOSURE_TEXT = {
  falsePositive: 'false positive',
  benignPositive: 'benign positive',
  snoozed: 'snoozed',
  stale: 'stale (no activity)',
} as const;

const STATUS_EMOJI: Record<StepRecord['status'], string> = {
  succeeded: '✅',
  failed: '❌',
  skipped: '➖',
  refused: '⛔',
  denied: '⛔',
};

export const ACTIONS_BLOCK_ID = 'incident-actions';

function mrkdwn(text: string, max: number = LIMITS.sectionText): MrkdwnText {
  return { type: 'mrkdwn', text: truncate(text, max), verbatim: true };
}

/** `<!date^…>` renders in the reader's time zone; the fallback is the ISO time. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return codeSpan(iso, 64);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;
}

/** A responder as a mention (ids checked), Sentry's own automation by name. */
export function actorText(actor: Actor): string {
  if (actor.automatic === true) return '*Sentry* (automatic)';
  return /^[UW][A-Z0-9]{2,}$/.test(actor.id) ? `<@${actor.id}>` : codeSpan(actor.name ?? actor.id, 80);
}

function list(values: readonly string[] | undefined, max = 5): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const shown = values.slice(0, max).map((v) => codeSpan(v, 200));
  return values.length > max ? `${shown.join(', ')} +${values.length - max} more` : shown.join(', ');
}

function field(label: string, value: string | undefined): MrkdwnText | undefined {
  if (value === undefined || value === '') return undefined;
  return mrkdwn(`*${label}*\n${value}`, LIMITS.field);
}

function statusLine(state: IncidentState): string {
  switch (state.status) {
    case 'closed': {
      const closure = state.closure;
      if (closure === undefined) return '*Status:* closed';
      const until = closure.until === undefined ? '' : ` until ${slackDate(closure.until)}`;
      return `*Status:* closed as ${CLOSURE_TEXT[closure.as]}${until} by ${actorText(closure.by)} ${slackDate(closure.at)}`;
    }
    case 'acknowledged':
      return state.acknowledged === undefined
        ? '*Status:* acknowledged'
        : `*Status:* acknowledged by ${actorText(state.acknowledged.by)} ${slackDate(state.acknowledged.at)}`;
    default: {
      if (state.escalatedAt !== undefined) return `*Status:* open, escalated ${slackDate(state.escalatedAt)}`;
      if (state.escalateAt !== undefined) {
        const who = state.policy.oncallGroup === undefined ? 'on-call' : 'the on-call group';
        return `*Status:* open, escalates to ${who} ${slackDate(state.escalateAt)} unless someone acts`;
      }
      return '*Status:* open';
    }
  }
}

const STANCE_TEXT = { suspect: 'suspect', victim: 'targeted', context: 'context' } as const;
const ENTITIES_SHOWN = 3;

/** Entities of one role as `name` (`id`) pairs, the stance said once. */
function entitiesText(entities: readonly IncidentEntity[]): string | undefined {
  if (entities.length === 0) return undefined;
  const shown = entities.slice(0, ENTITIES_SHOWN).map((e) => {
    const name = e.name ?? e.email;
    const base =
      name === undefined || name === e.id ? codeSpan(e.id, 120) : `${codeSpan(name, 120)} ${codeSpan(e.id, 60)}`;
    // One party alone: its email too, so a responder knows the person without a lookup.
    return entities.length === 1 && e.email !== undefined && e.email !== name
      ? `${base} ${codeSpan(e.email, 160)}`
      : base;
  });
  const more = entities.length - shown.length;
  const stances = [...new Set(entities.map((e) => STANCE_TEXT[e.stance]))].join(', ');
  return `${shown.join(', ')}${more > 0 ? ` +${more} more` : ''} _(${stances})_`;
}

function byRole(state: IncidentState, role: IncidentEntity['role']): IncidentEntity[] {
  return state.finding.entities.filter((e) => e.role === role);
}

/** Who did what to whom, from where, how often, and why it fired. */
function storyLines(state: IncidentState): string[] {
  const finding = state.finding;
  const lines: string[] = [];
  const who = entitiesText(byRole(state, 'actor'));
  const whom = entitiesText(byRole(state, 'affected'));
  const from = entitiesText(byRole(state, 'sourceIp'));
  const device = entitiesText([...byRole(state, 'device'), ...byRole(state, 'client')]);
  if (who !== undefined) lines.push(`*Who:* ${who}`);
  lines.push(`*What:* ${codeSpan(finding.detectionTitle ?? finding.detectionId, 200)}${actionsText(state)}`);
  if (whom !== undefined) lines.push(`*To whom:* ${whom}`);
  if (from !== undefined) lines.push(`*From where:* ${from}`);
  if (device !== undefined) lines.push(`*On:* ${device}`);
  const n = finding.count;
  lines.push(
    `*How often:* ${n} event${n === 1 ? '' : 's'}, ${slackDate(finding.firstSeen)} → ${slackDate(finding.lastSeen)}`,
  );
  if (finding.why !== undefined) lines.push(`*Why it fired:* ${escapeMrkdwn(plainText(finding.why, 400))}`);
  return lines;
}

function actionsText(state: IncidentState): string {
  const actions = state.finding.context.actions;
  return actions === undefined || actions.length === 0 ? '' : ` (${list(actions, 3) ?? ''})`;
}

function contextFields(state: IncidentState): MrkdwnText[] {
  const finding = state.finding;
  const context = finding.context;
  const meraki = context.meraki;
  const device =
    meraki?.deviceSerial === undefined && meraki?.deviceName === undefined
      ? undefined
      : [
          codeSpan(meraki.deviceName ?? meraki.deviceSerial ?? '', 120),
          meraki.deviceName !== undefined && meraki.deviceSerial !== undefined ? codeSpan(meraki.deviceSerial, 40) : '',
          meraki.deviceModel === undefined ? '' : codeSpan(meraki.deviceModel, 40),
        ]
          .filter((p) => p !== '')
          .join(' ');
  const network = meraki?.networkName ?? meraki?.networkId;
  const candidates = [
    field('Severity', `${SEVERITY_EMOJI[finding.severity]} ${finding.severity}`),
    field('Detection', codeSpan(finding.detectionId, 200)),
    field(
      'Subject',
      `${codeSpan(finding.subject.type, 32)} ${codeSpan(finding.subject.name ?? finding.subject.id, 200)}`,
    ),
    field('User agents', list(context.userAgents, 3)),
    field('Device', device),
    field(
      'Uplink',
      meraki?.uplink === undefined
        ? undefined
        : `${codeSpan(meraki.uplink, 40)}${meraki.publicIps === undefined ? '' : ` ${list(meraki.publicIps, 3) ?? ''}`}`,
    ),
    field('Network', network === undefined ? undefined : codeSpan(network, 200)),
    field(
      'Sessions',
      list(
        finding.entities.flatMap((e) => e.sessions ?? []),
        3,
      ),
    ),
  ];
  return candidates.filter((f): f is MrkdwnText => f !== undefined).slice(0, LIMITS.fields);
}

function evidenceText(state: IncidentState): string | undefined {
  const finding = state.finding;
  const lines: string[] = [];
  for (const item of finding.evidence)
    lines.push(`• *${escapeMrkdwn(plainText(item.label, 100))}:* ${codeSpan(item.value, 600)}`);
  const extra: [string, readonly string[] | undefined][] = [
    ['Files', finding.context.files],
    ['Channels', finding.context.channels],
  ];
  for (const [label, values] of extra) {
    const text = list(values, 8);
    if (text !== undefined) lines.push(`• *${label}:* ${text}`);
  }
  if (finding.mitre.length > 0) lines.push(`• *MITRE ATT&amp;CK:* ${list(finding.mitre, 5) ?? ''}`);
  if (lines.length === 0) return undefined;
  return sectionLines('*Evidence*', lines);
}

/** Targets that get no button, each with the guardrail (or limit) that withheld it. */
function withheldText(state: IncidentState): string | undefined {
  if (state.status === 'closed') return undefined;
  const withheld = withheldTargets(state);
  if (withheld.length === 0) return undefined;
  const lines = withheld.map(
    ({ target, reason }) => `⛔ ${codeSpan(targetLabel(target, 120), 140)}: ${escapeMrkdwn(plainText(reason, 300))}`,
  );
  return sectionLines('*No actions offered on*', lines);
}

/** Occurrence lines the message shows; the rest are counted. */
export const SHOWN_OCCURRENCES = 5;

/** Joins lines under a heading, dropping whole lines (never half a code span) to stay within the limit. */
function sectionLines(heading: string, lines: readonly string[], tail?: string): string {
  const out: string[] = [];
  let size = heading.length + 1 + (tail === undefined ? 0 : tail.length + 1);
  for (const line of lines) {
    if (size + line.length + 1 > LIMITS.sectionText - 2) {
      out.push('…');
      break;
    }
    out.push(line);
    size += line.length + 1;
  }
  if (tail !== undefined) out.push(tail);
  return `${heading}\n${out.join('\n')}`;
}

function occurrencesText(state: IncidentState): string | undefined {
  const occurrences = state.occurrences ?? [];
  if (occurrences.length === 0) return undefined;
  const lines = occurrences.slice(0, SHOWN_OCCURRENCES).map((o) => {
    const severity = o.severity === undefined ? '' : `${SEVERITY_EMOJI[o.severity]} `;
    const evidence = o.evidence
      .slice(0, 2)
      .map((e) => `${escapeMrkdwn(plainText(e.label, 60))}: ${codeSpan(e.value, 160)}`)
      .join(' · ');
    return `• ${severity}*${o.count}* event${o.count === 1 ? '' : 's'} ${slackDate(o.firstSeen)} → ${slackDate(o.lastSeen)} · finding ${codeSpan(o.findingId, 120)}${evidence === '' ? '' : ` · ${evidence}`}`;
  });
  const more = occurrences.length - SHOWN_OCCURRENCES;
  const heading = `*Other occurrences* (${occurrences.length} separate finding${occurrences.length === 1 ? '' : 's'} of the same detection and subject)`;
  return sectionLines(heading, lines, more > 0 ? `+${more} more in the findings stream` : undefined);
}

function activityText(state: IncidentState): string | undefined {
  if (state.recent.length === 0) return undefined;
  const lines = state.recent.map(
    (step) =>
      `${STATUS_EMOJI[step.status]} ${slackDate(step.at)} ${actorText(step.by)}: ${step.targetName === undefined ? '' : `${codeSpan(step.targetName, 140)} `}${escapeMrkdwn(plainText(step.summary, 400))}`,
  );
  const failures = Object.values(state.actions).filter((a) => a.status === 'failed' && a.error !== undefined);
  for (const failed of failures) {
    const why =
      failed.error === undefined ? '' : `: ${codeSpan(failed.error.message, 400)} (${codeSpan(failed.error.code, 60)})`;
    lines.push(`⚠️ ${escapeMrkdwn(plainText(failed.summary, 200))}${why}; the button stays, so it can be retried.`);
  }
  return `*Activity*\n${lines.join('\n')}`;
}

function button(state: IncidentState, action: ReturnType<typeof offeredActions>[number]): Button {
  const out: Button = {
    type: 'button',
    action_id: ActionIds[action.kind],
    text: { type: 'plain_text', text: plainText(action.label, LIMITS.buttonText), emoji: true },
    value: encodeButtonValue(state.incidentId, action.target),
  };
  if (action.style !== undefined) out.style = action.style;
  if (action.confirm !== undefined) {
    out.confirm = {
      title: { type: 'plain_text', text: plainText(action.confirm.title, LIMITS.confirmTitle) },
      text: { type: 'plain_text', text: plainText(action.confirm.text, LIMITS.confirmText) },
      confirm: { type: 'plain_text', text: plainText(action.confirm.confirm, LIMITS.confirmButton) },
      deny: { type: 'plain_text', text: plainText(action.confirm.deny, LIMITS.confirmButton) },
      style: action.style === 'danger' ? 'danger' : 'primary',
    };
  }
  return out;
}

/** The plain-text fallback: severity, title, subject, count; escaped (Slack parses `text` as mrkdwn). */
export function fallbackText(state: IncidentState): string {
  const finding = state.finding;
  const who = finding.subject.name ?? finding.subject.id;
  const status =
    state.status === 'closed' ? `closed (${CLOSURE_TEXT[state.closure?.as ?? 'falsePositive']})` : state.status;
  return escapeMrkdwn(
    plainText(
      `[${finding.severity.toUpperCase()}] ${finding.title} | ${who} | ${finding.count} events | ${status} | ${state.incidentId}`,
      LIMITS.fallbackText,
    ),
  );
}

/** Builds the incident message for a state. */
export function buildIncidentMessage(state: IncidentState): SlackMessageContent {
  const finding = state.finding;
  const blocks: Block[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: plainText(
          `${SEVERITY_EMOJI[finding.severity]} ${finding.severity.toUpperCase()} · ${finding.title}`,
          LIMITS.header,
        ),
        emoji: true,
      },
    },
    { type: 'section', text: mrkdwn([statusLine(state), ...storyLines(state)].join('\n')) },
    { type: 'section', fields: contextFields(state) },
  ];
  const evidence = evidenceText(state);
  if (evidence !== undefined) blocks.push({ type: 'section', text: mrkdwn(evidence) });
  const withheld = withheldText(state);
  if (withheld !== undefined) blocks.push({ type: 'section', text: mrkdwn(withheld) });
  const occurrences = occurrencesText(state);
  if (occurrences !== undefined) blocks.push({ type: 'section', text: mrkdwn(occurrences) });
  const query = incidentQuery(finding, state.occurrences ?? []);
  blocks.push({
    type: 'section',
    text: mrkdwn(`*Investigate in Sentinel* (Log Analytics)\n${codeBlock(query, LIMITS.sectionText - 60)}`),
  });
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `Incident ${codeSpan(state.incidentId, 230)} · detection ${codeSpan(finding.detectionId, 200)} · key ${codeSpan(finding.dedupeKey, 200)}${finding.eventIds.length > 0 ? ` · events ${list(finding.eventIds, 3) ?? ''}` : ''}`,
        LIMITS.contextText,
      ),
    ],
  });
  const activity = activityText(state);
  if (activity !== undefined) blocks.push({ type: 'divider' }, { type: 'section', text: mrkdwn(activity) });
  const buttons = offeredActions(state).map((action) => button(state, action));
  if (buttons.length > 0) {
    const actions: ActionsBlock = {
      type: 'actions',
      block_id: ACTIONS_BLOCK_ID,
      elements: buttons.slice(0, LIMITS.actionsElements),
    };
    blocks.push(actions);
  } else if (state.status === 'closed') {
    blocks.push({
      type: 'context',
      elements: [mrkdwn('No further actions: this incident is closed.', LIMITS.contextText)],
    });
  }
  return { text: fallbackText(state), blocks: blocks.slice(0, LIMITS.blocks) };
}
