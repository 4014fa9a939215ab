/**
 * Interactivity as Slack does it: a button click becomes a signed `block_actions` POST to the app's
 * Request URL (form body `payload=<url-encoded JSON>`, `X-Slack-Signature: v0=HMAC-SHA256(secret,
 * "v0:<ts>:<raw body>")`, `X-Slack-Request-Timestamp`), and the payload carries a `response_url` on
 * this emulator that can replace, delete or answer the message (5 uses within 30 minutes).
 */
import { createHmac, randomBytes } from 'node:crypto';

import type { EmulatorResponse, Router } from '../common/server';
import { json } from '../common/server';
import { checkBlocks, textFromBlocks } from './blocks';
import type { SlackContext } from './options';
import type { InteractionDelivery, SlackMessage } from './state';

export interface ClickInput {
  channel: string;
  messageTs: string;
  actionId: string;
  /** Needed when two blocks hold the same action_id. */
  blockId?: string;
  /** The seeded user who clicks. */
  userId: string;
  /** The click is on an ephemeral message. */
  ephemeral?: boolean;
}

export class ClickError extends Error {}

/** JSON.parse that insists on an object. */
export function parseObject(text: string): Record<string, unknown> {
  const value = JSON.parse(text) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}

/** `v0=<hex>` signature of a request body, as Slack computes it. */
export function slackSignature(signingSecret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

interface FoundAction {
  element: Record<string, unknown>;
  blockId: string;
}

function findAction(
  blocks: unknown[] | undefined,
  actionId: string,
  blockId: string | undefined,
): FoundAction | undefined {
  for (const block of (blocks ?? []) as Record<string, unknown>[]) {
    if (blockId !== undefined && block.block_id !== blockId) continue;
    const elements =
      block.type === 'actions'
        ? ((block.elements as Record<string, unknown>[] | undefined) ?? [])
        : block.accessory === undefined
          ? []
          : [block.accessory as Record<string, unknown>];
    const element = elements.find((e) => e.action_id === actionId);
    if (element !== undefined) return { element, blockId: String(block.block_id) };
  }
  return undefined;
}

/** Builds, signs and sends a `block_actions` request for a click; records and returns the delivery. */
export async function deliverBlockAction(ctx: SlackContext, input: ClickInput): Promise<InteractionDelivery> {
  const { state } = ctx;
  const cfg = ctx.options.interactivity;
  if (cfg.requestUrl === undefined || cfg.signingSecret === undefined)
    throw new ClickError('no interactivity request URL / signing secret configured');
  const channel = state.getChannel(input.channel);
  if (channel === undefined) throw new ClickError(`unknown channel ${input.channel}`);
  const user = state.getUser(input.userId);
  if (user === undefined) throw new ClickError(`unknown user ${input.userId}`);
  const message =
    input.ephemeral === true
      ? state.getEphemeralMessage(channel.id, input.messageTs)
      : state.getMessage(channel.id, input.messageTs);
  if (message === undefined) throw new ClickError(`no message ${input.messageTs} in ${channel.id}`);
  const found = findAction(message.blocks, input.actionId, input.blockId);
  if (found === undefined) throw new ClickError(`no action ${input.actionId} on message ${input.messageTs}`);

  const org = state.org;
  const nowMs = ctx.now();
  const grant = state.issueResponseUrl({
    channel: channel.id,
    messageTs: message.ts,
    isEphemeral: input.ephemeral === true,
    userId: user.id,
  });
  const { element } = found;
  const action: Record<string, unknown> = {
    action_id: element.action_id,
    block_id: found.blockId,
    text: { emoji: true, ...(element.text as Record<string, unknown>) },
    ...(element.value === undefined ? {} : { value: element.value }),
    ...(element.style === undefined ? {} : { style: element.style }),
    ...(element.url === undefined ? {} : { url: element.url }),
    ...(element.confirm === undefined ? {} : { confirm: element.confirm }),
    type: element.type,
    action_ts: `${Math.floor(nowMs / 1000)}.${String((nowMs % 1000) * 1000).padStart(6, '0')}`,
  };
  const threadTs = (message as SlackMessage).thread_ts;
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: { id: user.id, username: user.name, name: user.name, team_id: org.teamId },
    api_app_id: org.appId,
    token: cfg.verificationToken,
    container: {
      type: 'message',
      message_ts: message.ts,
      channel_id: channel.id,
      is_ephemeral: input.ephemeral === true,
      ...(threadTs !== undefined && threadTs !== message.ts ? { thread_ts: threadTs } : {}),
    },
    trigger_id: `${Date.now()}.${randomBytes(6).readUIntBE(0, 6)}.${randomBytes(16).toString('hex')}`,
    team: {
      id: org.teamId,
      domain: org.teamDomain,
      enterprise_id: org.enterpriseId,
      enterprise_name: org.enterpriseName,
    },
    enterprise: { id: org.enterpriseId, name: org.enterpriseName },
    is_enterprise_install: false,
    channel: { id: channel.id, name: channel.is_im === true ? 'directmessage' : channel.name },
    // Slack sends no `message` for ephemeral messages.
    ...(input.ephemeral === true ? {} : { message: structuredClone(message) }),
    state: { values: {} },
    response_url: `${ctx.publicUrl()}/response_url/${grant.id}`,
    actions: [action],
  };

  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = Math.floor(nowMs / 1000) + cfg.clockSkewSec;
  const delivery: InteractionDelivery = {
    id: randomBytes(6).toString('hex'),
    at: nowMs,
    url: cfg.requestUrl,
    channel: channel.id,
    messageTs: message.ts,
    actionId: String(element.action_id),
    userId: user.id,
    payload,
  };
  const started = performance.now();
  try {
    const response = await fetch(cfg.requestUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(cfg.signingSecret, timestamp, body),
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(cfg.timeoutMs),
    });
    delivery.status = response.status;
    await response.arrayBuffer();
  } catch (error) {
    const e = error as Error;
    delivery.error =
      e.name === 'TimeoutError'
        ? `no answer within ${cfg.timeoutMs} ms (Slack shows the user an error)`
        : ((e.cause as Error | undefined)?.message ?? e.message);
  }
  delivery.durationMs = Math.round(performance.now() - started);
  state.recordDelivery(delivery);
  return delivery;
}

export function registerResponseUrlRoutes(router: Router, ctx: SlackContext): void {
  const { state } = ctx;
  const opts = ctx.options.responseUrl;

  router.on('POST', '/response_url/{id}', (req): EmulatorResponse => {
    const grant = state.getResponseUrl(req.params.id ?? '');
    if (grant === undefined) return { status: 404, body: 'invalid_token' };
    if (ctx.now() - grant.createdAt > opts.ttlSec * 1000 || grant.uses >= opts.maxUses)
      return { status: opts.expiredStatus, body: 'expired_url' };

    let body: Record<string, unknown>;
    try {
      const text = req.body.toString('utf8');
      const contentType = req.headers['content-type'] ?? '';
      // Some clients post `payload=<json>` forms to webhooks; JSON is the norm.
      const raw = contentType.startsWith('application/x-www-form-urlencoded')
        ? (new URLSearchParams(text).get('payload') ?? '')
        : text;
      body = parseObject(raw);
    } catch {
      return { status: 400, body: 'invalid_payload' };
    }
    grant.uses += 1;

    const isTrue = (v: unknown) => v === true || v === 'true';
    if (isTrue(body.delete_original)) {
      if (grant.isEphemeral) {
        const eph = state.getEphemeralMessage(grant.channel, grant.messageTs);
        if (eph !== undefined) eph.deleted = true;
        state.touch();
      } else state.deleteMessage(grant.channel, grant.messageTs);
      return json(200, { ok: true });
    }

    let blocks: Record<string, unknown>[] | undefined;
    if (body.blocks !== undefined) {
      const checked = checkBlocks(body.blocks);
      if (!checked.ok) return json(400, { ok: false, error: checked.error });
      blocks = checked.blocks;
    }
    const text = typeof body.text === 'string' ? body.text : blocks === undefined ? undefined : textFromBlocks(blocks);
    if (text === undefined && blocks === undefined) return json(400, { ok: false, error: 'no_text' });

    const replace = body.replace_original === undefined ? opts.replaceOriginalByDefault : isTrue(body.replace_original);
    if (replace) {
      const target = grant.isEphemeral
        ? state.getEphemeralMessage(grant.channel, grant.messageTs)
        : state.getMessage(grant.channel, grant.messageTs);
      if (target === undefined) return json(404, { ok: false, error: 'message_not_found' });
      target.text = text ?? '';
      if (blocks === undefined) delete target.blocks;
      else target.blocks = blocks;
      state.touch();
      return json(200, { ok: true });
    }

    const responseType =
      body.response_type === 'in_channel' || body.response_type === 'ephemeral'
        ? body.response_type
        : opts.defaultResponseType;
    const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
    const org = state.org;
    if (responseType === 'in_channel') {
      state.appendMessage(grant.channel, {
        type: 'message',
        ts: state.nextTs(),
        text: text ?? '',
        user: org.botUserId,
        bot_id: org.botId,
        app_id: org.appId,
        team: org.teamId,
        ...(blocks === undefined ? {} : { blocks }),
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      });
    } else {
      state.appendEphemeral({
        ts: state.nextTs(),
        channel: grant.channel,
        user: grant.userId,
        text: text ?? '',
        from: org.botUserId,
        ...(blocks === undefined ? {} : { blocks }),
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      });
    }
    return json(200, { ok: true });
  });
}
