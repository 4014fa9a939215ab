/**
 * Parsing Slack interactivity requests (after the signature check): the form body's single `payload`
 * field is JSON; `block_actions` clicks on Sentry's buttons become `responderAction` events for the
 * incident named in the button value. Other interaction types and other apps' buttons are ignored.
 */
import { z } from 'zod';

import { AppError, ErrorCode } from '../errors';
import type { ResponderActionEvent } from '../response/model';
import { decodeButtonValue, kindOfActionId } from './action-ids';

const BlockAction = z.object({
  action_id: z.string().max(255),
  block_id: z.string().max(255).optional(),
  type: z.string().max(64),
  value: z.string().max(2000).optional(),
  action_ts: z.string().max(64).optional(),
});

export const BlockActionsPayload = z.object({
  type: z.literal('block_actions'),
  user: z.object({
    id: z.string().min(1).max(64),
    username: z.string().max(256).optional(),
    name: z.string().max(256).optional(),
    team_id: z.string().max(64).optional(),
  }),
  container: z
    .object({
      type: z.string().max(64),
      message_ts: z.string().max(64).optional(),
      channel_id: z.string().max(64).optional(),
    })
    .optional(),
  channel: z.object({ id: z.string().max(64), name: z.string().max(256).optional() }).nullish(),
  message: z.object({ ts: z.string().max(64) }).optional(),
  response_url: z.url().max(2048).optional(),
  actions: z.array(BlockAction).min(1).max(25),
});
export type BlockActionsPayload = z.infer<typeof BlockActionsPayload>;

const AnyInteraction = z.object({ type: z.string().max(64) });

export type Interaction =
  | { type: 'block_actions'; actions: { incidentId: string; event: ResponderActionEvent }[]; ignored: number }
  | { type: 'other'; interactionType: string };

/** Parses the raw form body; throws AppError(input_invalid) for anything malformed. */
export function parseInteraction(rawBody: string, receivedAt: Date): Interaction {
  const payloadText = new URLSearchParams(rawBody).get('payload');
  if (payloadText === null || payloadText === '')
    throw new AppError(ErrorCode.InputInvalid, 'interactivity body has no payload field');
  let json: unknown;
  try {
    json = JSON.parse(payloadText);
  } catch {
    throw new AppError(ErrorCode.InputInvalid, 'interactivity payload is not JSON');
  }
  const kind = AnyInteraction.safeParse(json);
  if (!kind.success) throw new AppError(ErrorCode.InputInvalid, 'interactivity payload has no type');
  if (kind.data.type !== 'block_actions') return { type: 'other', interactionType: kind.data.type };
  const parsed = BlockActionsPayload.safeParse(json);
  if (!parsed.success)
    throw new AppError(ErrorCode.InputInvalid, `block_actions payload is invalid: ${z.prettifyError(parsed.error)}`);
  const payload = parsed.data;
  const channel = payload.channel?.id ?? payload.container?.channel_id;
  const messageTs = payload.message?.ts ?? payload.container?.message_ts;
  const name = payload.user.username ?? payload.user.name;
  const actions: { incidentId: string; event: ResponderActionEvent }[] = [];
  let ignored = 0;
  for (const action of payload.actions) {
    const kind = kindOfActionId(action.action_id);
    const value = decodeButtonValue(action.value);
    if (kind === undefined || value === undefined) {
      ignored += 1;
      continue;
    }
    actions.push({
      incidentId: value.incidentId,
      event: {
        kind,
        ...(value.target === undefined ? {} : { target: value.target }),
        user: { id: payload.user.id, ...(name === undefined ? {} : { name }) },
        ...(payload.response_url === undefined ? {} : { responseUrl: payload.response_url }),
        ...(channel === undefined ? {} : { channel }),
        ...(messageTs === undefined ? {} : { messageTs }),
        receivedAt: receivedAt.toISOString(),
      },
    });
  }
  return { type: 'block_actions', actions, ignored };
}
