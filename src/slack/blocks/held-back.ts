/**
 * The one message that stands for the findings a detection raised past its per-cycle cap of new
 * incidents: what was held back (subject, size, time span), that they are still in Sentinel, and
 * where to raise the cap. No buttons: nothing here can act. Pure; outside strings in code spans.
 */
import { codeSpan, escapeMrkdwn, plainText, truncate } from '../escape';
import { slackDate } from './incident-alert';
import { type Block, LIMITS, type SlackMessageContent } from './types';

export interface HeldBack {
  detectionId: string;
  detectionTitle?: string | undefined;
  /** New incidents this detection opened in the same cycle (the cap was reached). */
  opened: number;
  limit: number;
  findings: {
    severity: string;
    title: string;
    subject: { type: string; id: string; name?: string | undefined };
    firstSeen: string;
    lastSeen: string;
    count: number;
  }[];
}

/** Held-back findings listed by name; the rest are counted. */
export const HELD_BACK_SHOWN = 15;

export function heldBackMessage(held: HeldBack): SlackMessageContent {
  const n = held.findings.length;
  const name = held.detectionTitle ?? held.detectionId;
  const lines = held.findings.slice(0, HELD_BACK_SHOWN).map((f) => {
    const who = codeSpan(f.subject.name ?? f.subject.id, 120);
    return `• ${escapeMrkdwn(plainText(f.severity, 20))} · ${who} · ${f.count} event${f.count === 1 ? '' : 's'} · ${slackDate(f.firstSeen)} → ${slackDate(f.lastSeen)}`;
  });
  if (n > HELD_BACK_SHOWN) lines.push(`… and ${n - HELD_BACK_SHOWN} more`);
  const head = `:warning: *${n} more finding${n === 1 ? '' : 's'} of ${codeSpan(name, 200)} held back.* This detection already opened ${held.opened} new incident${held.opened === 1 ? '' : 's'} in this cycle (limit ${held.limit}, SENTRY_INCIDENT_MAX_NEW_PER_DETECTION). The findings below got no alert and no buttons; they are in \`SentryFinding_CL\` (DetectionId ${codeSpan(held.detectionId, 200)}).`;
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(head, LIMITS.sectionText), verbatim: true } },
  ];
  let chunk: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > LIMITS.sectionText - 10 && chunk.length > 0) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk.join('\n'), verbatim: true } });
      chunk = [];
      size = 0;
    }
    chunk.push(line);
    size += line.length + 1;
  }
  if (chunk.length > 0)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk.join('\n'), verbatim: true } });
  return {
    text: escapeMrkdwn(
      plainText(
        `${n} more findings of ${name} held back (limit ${held.limit} new incidents per detection per cycle)`,
        LIMITS.fallbackText,
      ),
    ),
    blocks: blocks.slice(0, LIMITS.blocks),
  };
}
