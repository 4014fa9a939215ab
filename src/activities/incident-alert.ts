/**
 * Activities that write to the incident channel: `publishIncidentAlert` (post the incident message, or
 * update it once posted, and keep the `incidents` summary row current), `postIncidentReply` (a thread
 * reply) and `notifyResponder` (an ephemeral notice to the clicking user, through the click's
 * `response_url` when it points at one of Slack's hook origins, else `chat.postEphemeral`). Slack is
 * called only with the bot token, and no other host is ever called: a `response_url` elsewhere (which
 * only a forged event could carry) is ignored, so it cannot be used to make Sentry send requests.
 */
import type { InvocationContext } from '@azure/functions';

import { parseActivityInput, type PublishedAlert } from '../contracts';
import { AppError, ErrorCode } from '../errors';
import { buildIncidentMessage } from '../slack/blocks/incident-alert';
import { noticeText, replyMessage } from '../slack/blocks/replies';
import { callSlack } from '../slack/web-client';
import { incidentDeps, type IncidentDeps } from './incident-deps';

export async function publishIncidentAlert(
  raw: unknown,
  deps: IncidentDeps = incidentDeps(),
  log?: (m: string) => void,
): Promise<PublishedAlert> {
  const { state } = parseActivityInput('publishIncidentAlert', raw);
  const content = buildIncidentMessage(state);
  const bot = deps.bot();
  let published: PublishedAlert;
  if (state.message === undefined) {
    const result = await callSlack(bot, 'chat.postMessage', {
      channel: state.policy.channel,
      text: content.text,
      blocks: content.blocks,
      unfurl_links: false,
      unfurl_media: false,
    });
    published = { channel: String(result.channel), ts: String(result.ts) };
  } else {
    await callSlack(bot, 'chat.update', {
      channel: state.message.channel,
      ts: state.message.ts,
      text: content.text,
      blocks: content.blocks,
    });
    published = state.message;
  }
  try {
    await deps.incidents.saveSummary({
      incidentId: state.incidentId,
      detectionId: state.finding.detectionId,
      status: state.status,
      count: state.finding.count,
      lastSeen: state.finding.lastSeen,
      channel: published.channel,
      messageTs: published.ts,
      updatedAt: deps.now().toISOString(),
    });
  } catch (error) {
    // The summary only lets dispatch skip unchanged repeats; the message is what matters.
    log?.(`incident ${state.incidentId}: summary not saved (${(error as Error).message})`);
  }
  return published;
}

export async function postIncidentReply(raw: unknown, deps: IncidentDeps = incidentDeps()): Promise<{ ts: string }> {
  const { channel, threadTs, reply } = parseActivityInput('postIncidentReply', raw);
  const content = replyMessage(reply);
  const result = await callSlack(deps.bot(), 'chat.postMessage', {
    channel,
    thread_ts: threadTs,
    text: content.text,
    blocks: content.blocks,
    unfurl_links: false,
    unfurl_media: false,
  });
  return { ts: String(result.ts) };
}

/** Whether a response_url points at one of the allowed origins (https://hooks.slack.com by default). */
export function isSlackHook(url: string, origins: readonly string[]): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '' && origins.includes(parsed.origin);
  } catch {
    return false;
  }
}

export async function notifyResponder(
  raw: unknown,
  deps: IncidentDeps = incidentDeps(),
): Promise<{ via: 'response_url' | 'chat.postEphemeral' }> {
  const input = parseActivityInput('notifyResponder', raw);
  const text = noticeText(input.notice, input.detail);
  if (input.responseUrl !== undefined && isSlackHook(input.responseUrl, deps.config.response.responseUrlOrigins)) {
    try {
      const status = await deps.postJson(input.responseUrl, {
        response_type: 'ephemeral',
        replace_original: false,
        text,
      });
      if (status >= 200 && status < 300) return { via: 'response_url' };
    } catch {
      // expired or unreachable response_url: fall back to the Web API
    }
  }
  if (input.channel === undefined) {
    throw new AppError(ErrorCode.InputInvalid, 'notifyResponder needs a channel when the response_url cannot be used', {
      retriable: false,
    });
  }
  await callSlack(deps.bot(), 'chat.postEphemeral', { channel: input.channel, user: input.userId, text });
  return { via: 'chat.postEphemeral' };
}

export const publishIncidentAlertActivity = (raw: unknown, context: InvocationContext): Promise<PublishedAlert> =>
  publishIncidentAlert(raw, incidentDeps(), (m) => {
    context.warn(m);
  });
export const postIncidentReplyActivity = (raw: unknown): Promise<{ ts: string }> => postIncidentReply(raw);
export const notifyResponderActivity = (raw: unknown): Promise<{ via: string }> => notifyResponder(raw);
