import { describe, expect, it } from 'vitest';

import { ActionIds, decodeButtonValue, encodeButtonValue } from './action-ids';
import { parseInteraction } from './interactivity';

const NOW = new Date('2026-03-02T10:00:00.000Z');

function body(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const click = (actions: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'block_actions',
  user: { id: 'W0ALICE01', username: 'alice', team_id: 'T1' },
  channel: { id: 'C0ALERTS1', name: 'security-alerts' },
  container: { type: 'message', message_ts: '1.2', channel_id: 'C0ALERTS1' },
  message: { ts: '1.2', text: 'x' },
  response_url: 'https://hooks.slack.com/actions/T1/1/abc',
  actions,
  ...extra,
});

describe('parseInteraction', () => {
  it('turns a click on a Sentry button into a responderAction for its incident', () => {
    const parsed = parseInteraction(
      body(
        click([
          {
            action_id: ActionIds.resetSessions,
            block_id: 'incident-actions',
            type: 'button',
            value: encodeButtonValue('incident-x-1', 'W0BOB0001'),
          },
        ]),
      ),
      NOW,
    );
    expect(parsed).toEqual({
      type: 'block_actions',
      ignored: 0,
      actions: [
        {
          incidentId: 'incident-x-1',
          event: {
            kind: 'resetSessions',
            target: 'W0BOB0001',
            user: { id: 'W0ALICE01', name: 'alice' },
            responseUrl: 'https://hooks.slack.com/actions/T1/1/abc',
            channel: 'C0ALERTS1',
            messageTs: '1.2',
            receivedAt: NOW.toISOString(),
          },
        },
      ],
    });
  });

  it('ignores other apps’ buttons and values that are not ours', () => {
    const parsed = parseInteraction(
      body(
        click([
          { action_id: 'other-app-button', type: 'button', value: encodeButtonValue('incident-x-1') },
          { action_id: ActionIds.acknowledge, type: 'button', value: '{"i":"../../etc"}' },
          { action_id: ActionIds.acknowledge, type: 'button', value: 'not json' },
          { action_id: ActionIds.acknowledge, type: 'button' },
        ]),
      ),
      NOW,
    );
    expect(parsed).toEqual({ type: 'block_actions', actions: [], ignored: 4 });
  });

  it('passes other interaction types through as ignorable', () => {
    expect(parseInteraction(body({ type: 'view_submission', view: {} }), NOW)).toEqual({
      type: 'other',
      interactionType: 'view_submission',
    });
  });

  it('rejects malformed bodies with a clear error', () => {
    expect(() => parseInteraction('', NOW)).toThrow(/no payload/);
    expect(() => parseInteraction('payload=%7Bnot', NOW)).toThrow(/not JSON/);
    expect(() => parseInteraction(body({ no: 'type' }), NOW)).toThrow(/no type/);
    expect(() => parseInteraction(body(click([])), NOW)).toThrow(/block_actions payload is invalid/);
    expect(() =>
      parseInteraction(body(click([{ action_id: ActionIds.acknowledge, type: 'button' }], { user: {} })), NOW),
    ).toThrow(/user/);
  });
});

describe('button values', () => {
  it('round-trip, and refuse anything else', () => {
    expect(decodeButtonValue(encodeButtonValue('incident-a.b-1', '10.0.0.1'))).toEqual({
      incidentId: 'incident-a.b-1',
      target: '10.0.0.1',
    });
    expect(decodeButtonValue('{"i":"incident-a","x":1}')).toBeUndefined();
    expect(decodeButtonValue(`{"i":"incident-${'a'.repeat(300)}"}`)).toBeUndefined();
    expect(decodeButtonValue(undefined)).toBeUndefined();
  });
});
