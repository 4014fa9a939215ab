/**
 * `POST /api/slack/interactivity`: Slack's Request URL for button clicks. Anonymous (Slack cannot
 * send a function key); the `v0` signature is the authentication. Headers → verify → ack → hand off:
 * the signature headers and the timestamp's 5-minute window are checked before the body is read
 * (401), a body over 1 MB is refused with 413 without being buffered, the raw body is read once and
 * its signature checked, the signature is claimed in the replay store (Table Storage, so a replay is
 * refused on every instance), the payload is parsed, and each Sentry button click is raised on its
 * incident as `responderAction` with a proof (response/proofs.ts) over the incident id and the whole
 * event: the incident acts only on events that carry one, so the Durable management API cannot stand
 * in for a verified click. No Slack API call happens here: whether the user may act is decided by the
 * incident after this answers 200. Forged, stale and replayed requests get 401 and change nothing.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { configStatus, getConfig } from '../config';
import { isAppError } from '../errors';
import { EventNames } from '../contracts';
import type { ResponderActionEvent } from '../response/model';
import { responseKey, signResponderEvent } from '../response/proofs';
import { parseInteraction } from '../slack/interactivity';
import { SIGNATURE_TOLERANCE_SEC, verifySlackSignature } from '../slack/verify';
import { type ReplayGuard, SignatureReplayStore } from '../state/signatures';
import { readBody } from './http-body';

export interface InteractivityDeps {
  signingSecret: string | undefined;
  /** The response key that signs the raised events (proofs.ts). */
  responseKey: Buffer | undefined;
  replay: ReplayGuard;
  raise(instanceId: string, event: ResponderActionEvent): Promise<void>;
  nowMs(): number;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

const UNAUTHORIZED: HttpResponseInit = {
  status: 401,
  body: 'invalid request signature',
  headers: { 'cache-control': 'no-store' },
};

export async function handleSlackInteractivity(
  request: HttpRequest,
  deps: InteractivityDeps,
): Promise<HttpResponseInit> {
  if (deps.signingSecret === undefined || deps.signingSecret === '' || deps.responseKey === undefined) {
    deps.log('error', 'slack interactivity refused: SENTRY_SLACK_SIGNING_SECRET is not set');
    return { status: 503, body: 'signing secret not configured' };
  }
  // Headers first: an unsigned or stale request is refused before its body is read.
  const signature = request.headers.get('x-slack-signature');
  const timestamp = request.headers.get('x-slack-request-timestamp');
  const nowSec = Math.floor(deps.nowMs() / 1000);
  if (
    signature === null ||
    timestamp === null ||
    !/^\d{1,12}$/.test(timestamp.trim()) ||
    Math.abs(nowSec - Number(timestamp.trim())) > SIGNATURE_TOLERANCE_SEC
  ) {
    deps.log('warn', 'slack interactivity refused: missing or stale signature headers');
    return UNAUTHORIZED;
  }
  const body = await readBody(request);
  if (!body.ok) {
    deps.log('warn', `slack interactivity refused: body ${String(body.response.status)}`);
    return body.response;
  }
  const rawBody = body.text;
  const verified = verifySlackSignature({
    signingSecret: deps.signingSecret,
    rawBody,
    signature,
    timestamp,
    nowSec,
  });
  if (!verified.ok) {
    deps.log(verified.reason === 'no_secret' ? 'error' : 'warn', `slack interactivity refused: ${verified.reason}`);
    return verified.reason === 'no_secret' ? { status: 503, body: 'signing secret not configured' } : UNAUTHORIZED;
  }
  let first: boolean;
  try {
    first = await deps.replay.claim(verified.signature, verified.timestamp);
  } catch (error) {
    deps.log('error', `slack interactivity: replay store unavailable (${(error as Error).message})`);
    return { status: 503, body: 'try again' };
  }
  if (!first) {
    deps.log('warn', 'slack interactivity refused: replayed signature');
    return UNAUTHORIZED;
  }
  let interaction;
  try {
    interaction = parseInteraction(rawBody, new Date(deps.nowMs()));
  } catch (error) {
    deps.log('warn', `slack interactivity: ${isAppError(error) ? error.message : 'unparseable payload'}`);
    return { status: 400, body: 'invalid payload' };
  }
  if (interaction.type !== 'block_actions') {
    deps.log('info', `slack interactivity: ignored a ${interaction.interactionType} interaction`);
    return { status: 200 };
  }
  const key = deps.responseKey;
  for (const { incidentId, event } of interaction.actions) {
    try {
      await deps.raise(incidentId, { ...event, proof: signResponderEvent(key, incidentId, event) });
    } catch (error) {
      // An incident that no longer exists cannot act; Slack still gets its 200 so the user sees no error page.
      deps.log(
        'warn',
        `slack interactivity: could not hand ${event.kind} to ${incidentId} (${(error as Error).message})`,
      );
    }
  }
  return { status: 200 };
}

export async function slackInteractivity(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const status = configStatus();
  if (!status.loaded) return { status: 503, body: 'configuration invalid' };
  const config = getConfig();
  const client = df.getClient(context);
  return handleSlackInteractivity(request, {
    signingSecret: config.slack.signingSecret,
    responseKey: responseKey({
      responseSigningKey: config.response.signingKey,
      signingSecret: config.slack.signingSecret,
    }),
    replay: replayStore(config),
    raise: (instanceId, event) => client.raiseEvent(instanceId, EventNames.responderAction, event),
    nowMs: Date.now,
    log: (level, message) => {
      context[level](message);
    },
  });
}

let store: { config: unknown; guard: SignatureReplayStore } | undefined;
function replayStore(config: ReturnType<typeof getConfig>): SignatureReplayStore {
  if (store?.config !== config) store = { config, guard: new SignatureReplayStore(config) };
  return store.guard;
}

app.http('slackInteractivity', {
  route: 'slack/interactivity',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: slackInteractivity,
});
