import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { seedSampleOrg, type SampleOrg } from '../../dev/emulators/slack/fixtures';
import { startSlackEmulator, type SlackEmulator } from '../../dev/emulators/slack';
import { stateOf } from '../../test/helpers/incidents';
import { parseConfig } from '../config';
import { applyOutcome } from '../response/incident-state';
import type { SlackApi } from '../slack/web-client';
import type { IncidentSummary } from '../state/incidents';
import type { ResponseRow } from '../transforms/streams';
import { notifyResponder, postIncidentReply, publishIncidentAlert } from './incident-alert';
import type { IncidentDeps } from './incident-deps';
import { recordResponse } from './record-response';

let slack: SlackEmulator;
let org: SampleOrg;
const summaries: IncidentSummary[] = [];
const landed: ResponseRow[] = [];
const posted: { url: string; body: unknown }[] = [];

function deps(): IncidentDeps {
  const bot = new WebClient(slack.tokens.bot, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  }) as unknown as SlackApi;
  return {
    config: parseConfig({
      SENTRY_SOURCES: 'slackAudit',
      SENTRY_SLACK_AUDIT_TOKEN: 'x',
      SENTRY_INGESTION_ENDPOINT: 'https://i.example',
      SENTRY_DCR_IMMUTABLE_ID: 'dcr-1',
      SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
      SENTRY_SLACK_RESPONSE_URL_ORIGINS: new URL(slack.url).origin,
    }),
    bot: () => bot,
    admin: () => undefined,
    scim: () => undefined,
    meraki: () => undefined,
    incidents: {
      saveSummary: (s: IncidentSummary) => {
        summaries.push(s);
        return Promise.resolve();
      },
    } as never,
    snoozes: {} as never,
    landResponses: (rows) => {
      landed.push(...rows);
      return Promise.resolve();
    },
    postJson: async (url, body) => {
      posted.push({ url, body });
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return response.status;
    },
    now: () => new Date('2026-03-02T10:00:00.000Z'),
    responseKey: undefined,
    guardrails: {} as never,
    breaker: {} as never,
  };
}

beforeAll(async () => {
  slack = await startSlackEmulator();
  org = seedSampleOrg(slack.state);
});
afterAll(async () => {
  await slack.close();
});

describe('publishIncidentAlert', () => {
  it('posts the message once, then updates the same message in place', async () => {
    const fresh = { ...stateOf(), message: undefined };
    const first = await publishIncidentAlert({ state: fresh }, deps());
    expect(first.channel).toBe(org.alerts.id);
    const message = slack.state.getMessage(org.alerts.id, first.ts);
    expect(message?.text).toContain('[CRITICAL] Slack flagged an anomalous session for bob');
    expect(message?.blocks?.length).toBeGreaterThan(4);
    const acknowledged = applyOutcome(
      { ...fresh, message: first },
      { kind: 'acknowledge' },
      { status: 'succeeded', summary: 'ok' },
      { id: org.alice.id },
      '2026-03-02T10:01:00.000Z',
    );
    expect(await publishIncidentAlert({ state: acknowledged }, deps())).toEqual(first);
    expect(slack.state.getMessages(org.alerts.id)).toHaveLength(1);
    expect(slack.state.getMessage(org.alerts.id, first.ts)?.edited).toBeDefined();
    expect(summaries.at(-1)).toMatchObject({
      incidentId: fresh.incidentId,
      status: 'acknowledged',
      messageTs: first.ts,
      count: 3,
    });
  });

  it('rejects an input that is not an incident state, naming the field', async () => {
    await expect(publishIncidentAlert({ state: { version: 1 } }, deps())).rejects.toThrow(
      /publishIncidentAlert input is invalid/,
    );
  });
});

describe('postIncidentReply / notifyResponder', () => {
  it('replies in the alert’s thread', async () => {
    const root = await publishIncidentAlert({ state: { ...stateOf(), message: undefined } }, deps());
    await postIncidentReply(
      {
        channel: root.channel,
        threadTs: root.ts,
        reply: { type: 'escalation', oncallGroup: org.group.id, minutes: 15 },
      },
      deps(),
    );
    const reply = slack.state.getThread(root.channel, root.ts).at(-1);
    expect(reply?.text).toBe(
      `:rotating_light: <!subteam^${org.group.id}>: nobody acted on this incident within 15 min.`,
    );
    expect(reply?.blocks).toMatchObject([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          verbatim: true,
          text: `:rotating_light: <!subteam^${org.group.id}>: nobody acted on this incident within 15 min.`,
        },
      },
    ]);
  });

  it('a reply naming an outside target keeps the name in a code span, out of the top-level text', async () => {
    const root = await publishIncidentAlert({ state: { ...stateOf(), message: undefined } }, deps());
    await postIncidentReply(
      {
        channel: root.channel,
        threadTs: root.ts,
        reply: {
          type: 'outcome',
          kind: 'deactivateUser',
          by: { id: org.alice.id },
          status: 'succeeded',
          summary: 'Deactivated (SCIM)',
          targetName: '*CEO* https://evil.example/login (W0BOB0001)',
        },
      },
      deps(),
    );
    const reply = slack.state.getThread(root.channel, root.ts).at(-1);
    expect(reply?.text).toBe(`:white_check_mark: <@${org.alice.id}> deactivated the user.`);
    expect(JSON.stringify(reply?.blocks)).toContain('`*CEO* https://evil.example/login (W0BOB0001)`');
  });

  it('never calls a response_url outside Slack’s hook origins: it falls back to chat.postEphemeral', async () => {
    const root = await publishIncidentAlert({ state: { ...stateOf(), message: undefined } }, deps());
    const before = posted.length;
    for (const responseUrl of [
      'http://169.254.169.254/latest/meta-data/',
      'https://hooks.slack.com.evil.example/x',
      `${slack.url.replace('127.0.0.1', 'localhost')}/response_url/x`,
      `http://user:pass@${new URL(slack.url).host}/response_url/x`,
    ]) {
      expect(
        await notifyResponder(
          { userId: org.bob.id, channel: root.channel, responseUrl, notice: 'unavailable', detail: 'nothing' },
          deps(),
        ),
      ).toEqual({ via: 'chat.postEphemeral' });
    }
    expect(posted.length).toBe(before);
  });

  it('tells the clicking user privately, through response_url, else chat.postEphemeral', async () => {
    const root = await publishIncidentAlert({ state: { ...stateOf(), message: undefined } }, deps());
    const delivery = slack.state.issueResponseUrl({
      channel: root.channel,
      messageTs: root.ts,
      isEphemeral: false,
      userId: org.bob.id,
    });
    const url = `${slack.url}/response_url/${delivery.id}`;
    expect(
      await notifyResponder(
        { userId: org.bob.id, channel: root.channel, responseUrl: url, notice: 'unauthorized' },
        deps(),
      ),
    ).toEqual({ via: 'response_url' });
    expect(slack.state.getEphemeral(root.channel).at(-1)).toMatchObject({
      user: org.bob.id,
      text: expect.stringContaining('not an authorized responder') as unknown,
    });
    expect(
      await notifyResponder(
        {
          userId: org.bob.id,
          channel: root.channel,
          responseUrl: `${slack.url}/response_url/expired`,
          notice: 'unavailable',
          detail: 'it was already done',
        },
        deps(),
      ),
    ).toEqual({ via: 'chat.postEphemeral' });
    expect(slack.state.getEphemeral(root.channel).at(-1)?.text).toContain('it was already done');
  });
});

describe('recordResponse', () => {
  it('validates the row against the stream schema before landing it', async () => {
    const row = {
      TimeGenerated: '2026-03-02T10:00:00.000Z',
      EventId: 'incident-x:1',
      SourceOrg: 'E1',
      Action: 'incident.acknowledge',
      TargetType: 'incident',
      TargetId: 'incident-x',
      RequestedBy: 'W0ALICE01',
      Result: 'succeeded',
    };
    expect(await recordResponse({ row }, deps())).toEqual({ rows: 1, eventId: 'incident-x:1' });
    expect(landed.at(-1)).toEqual(row);
    await expect(recordResponse({ row: { ...row, Surprise: 1 } }, deps())).rejects.toThrow(
      /recordResponse input is invalid/,
    );
    await expect(recordResponse({ row: { ...row, RequestedBy: undefined } }, deps())).rejects.toThrow(/RequestedBy/);
  });
});
