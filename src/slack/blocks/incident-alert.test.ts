import { describe, expect, it } from 'vitest';

import { checkBlocks } from '../../../dev/emulators/slack/blocks';
import {
  ipEntity,
  merakiFinding,
  POLICY,
  privilegeFinding,
  slackFinding,
  sprayFinding,
  stateOf,
  T0,
  userEntity,
} from '../../../test/helpers/incidents';
import { ActionIds, decodeButtonValue } from '../action-ids';
import {
  applyFindingUpdate,
  applyOutcome,
  findOffered,
  markEscalated,
  type OfferedAction,
  recordStep,
  SENTRY_ACTOR,
  type IncidentState,
  withProtections,
} from '../../response/incident-state';
import type { ActionKind, ActionOutcome, Actor } from '../../response/model';
import { normalizeFinding } from '../../response/model';
import { buildIncidentMessage, SHOWN_OCCURRENCES } from './incident-alert';
import { replyMessage, replyText } from './replies';
import type { Block, MrkdwnText, TextObject } from './types';

const BOB = { id: 'W0ALICE01', name: 'alice' };
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000).toISOString();

/** Applies an outcome to the offered action of that kind and target (or a bare incident action). */
function apply(
  state: IncidentState,
  kind: ActionKind,
  target: string | undefined,
  outcome: ActionOutcome,
  actor: Actor,
  when: string,
): IncidentState {
  const action: Pick<OfferedAction, 'kind' | 'target' | 'about'> = findOffered(state, kind, target) ?? { kind, target };
  return applyOutcome(state, action, outcome, actor, when);
}

function texts(blocks: Block[]): TextObject[] {
  const out: TextObject[] = [];
  for (const block of blocks) {
    if (block.type === 'header') out.push(block.text);
    if (block.type === 'section') out.push(...(block.text === undefined ? [] : [block.text]), ...(block.fields ?? []));
    if (block.type === 'context') out.push(...block.elements);
  }
  return out;
}

function buttons(state: IncidentState): string[] {
  const actions = buildIncidentMessage(state).blocks.find((b) => b.type === 'actions');
  return actions?.type === 'actions' ? actions.elements.map((e) => e.text.text) : [];
}

/** Every `<…>` control sequence in the message must be one Sentry builds on purpose. */
const ALLOWED_CONTROL = [
  /^<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z>$/,
  /^<@[UW][A-Z0-9]+>$/,
  /^<!subteam\^S[A-Z0-9]+>$/,
];

function assertSafe(message: { text: string; blocks: Block[] }): void {
  const all = [
    message.text,
    ...texts(message.blocks)
      .filter((t): t is MrkdwnText => t.type === 'mrkdwn')
      .map((t) => t.text),
  ];
  for (const text of all) {
    for (const control of text.match(/<[^>]*>/g) ?? []) {
      expect(
        ALLOWED_CONTROL.some((pattern) => pattern.test(control)),
        `unexpected control sequence ${control}`,
      ).toBe(true);
    }
    expect(text).not.toMatch(/@(channel|here|everyone)\b/i);
    for (const line of text.split('\n').filter((l) => !l.startsWith('```') && !l.endsWith('```'))) {
      if (!text.includes('```')) expect((line.match(/`/g) ?? []).length % 2, `unbalanced code span in ${line}`).toBe(0);
    }
  }
  for (const t of texts(message.blocks)) if (t.type === 'mrkdwn') expect(t.verbatim).toBe(true);
  const checked = checkBlocks(message.blocks);
  expect(checked.ok, checked.ok ? '' : checked.detail).toBe(true);
}

const states: [string, () => IncidentState][] = [
  ['open (Slack anomaly)', () => stateOf()],
  [
    'acknowledged',
    () =>
      apply(
        stateOf(),
        'acknowledge',
        undefined,
        { status: 'succeeded', summary: 'Acknowledged: a responder is on it' },
        BOB,
        at(2),
      ),
  ],
  [
    'sessions reset',
    () =>
      apply(
        stateOf(),
        'resetSessions',
        'W0BOB0001',
        { status: 'succeeded', summary: 'Signed out of every session' },
        BOB,
        at(3),
      ),
  ],
  [
    'action failed, retry offered',
    () =>
      apply(
        stateOf(),
        'deactivateUser',
        'W0BOB0001',
        {
          status: 'failed',
          summary: 'Deactivation failed',
          error: {
            code: 'http_403',
            message: 'Slack SCIM DELETE answered HTTP 403: cannot_disable_primary_owner',
            retriable: false,
          },
        },
        BOB,
        at(4),
      ),
  ],
  [
    'escalated, automatic reset',
    () => {
      let s = markEscalated(stateOf(), at(15));
      s = recordStep(s, {
        at: at(15),
        by: SENTRY_ACTOR,
        kind: 'escalate',
        status: 'succeeded',
        summary: 'No responder acted within 15 min: escalated to on-call',
      });
      return apply(
        s,
        'resetSessions',
        'W0BOB0001',
        { status: 'succeeded', summary: 'Signed out of every session' },
        SENTRY_ACTOR,
        at(15),
      );
    },
  ],
  [
    'closed as false positive',
    () =>
      apply(
        stateOf(),
        'closeFalsePositive',
        undefined,
        { status: 'succeeded', summary: 'Closed as false positive' },
        BOB,
        at(5),
      ),
  ],
  [
    'closed as benign positive',
    () =>
      apply(
        stateOf(),
        'closeBenignPositive',
        undefined,
        { status: 'succeeded', summary: 'Closed as benign positive' },
        BOB,
        at(5),
      ),
  ],
  [
    'snoozed',
    () =>
      apply(
        stateOf(),
        'snooze',
        'W0BOB0001',
        {
          status: 'succeeded',
          summary: 'This detection stays quiet for this subject until 2026-03-09T10:05:00.000Z',
          details: { until: '2026-03-09T10:05:00.000Z' },
        },
        BOB,
        at(5),
      ),
  ],
  ['open (Meraki uplink)', () => stateOf(merakiFinding())],
  ['open (password spray: victims, no user buttons)', () => stateOf(sprayFinding())],
  ['open (made owner: two parties)', () => stateOf(privilegeFinding())],
  [
    'a guardrail refused an action; protected targets listed',
    () =>
      apply(
        withProtections(stateOf(privilegeFinding()), {
          'user:W0MOHAM04': { code: 'guardrail_owner', reason: 'W0MOHAM04 is an owner of the organization' },
        }),
        'deactivateUser',
        'W0SOPHIA5',
        {
          status: 'refused',
          summary: 'Refused: W0SOPHIA5 is an admin',
          error: { code: 'guardrail_admin', message: 'W0SOPHIA5 is an admin', retriable: false },
        },
        BOB,
        at(2),
      ),
  ],
  [
    'closed as stale',
    () => {
      const s = markEscalated(stateOf(), at(15));
      return { ...s, status: 'closed', closure: { as: 'stale', by: SENTRY_ACTOR, at: at(4335) } };
    },
  ],
  [
    'Meraki, IP blocked',
    () =>
      apply(
        stateOf(merakiFinding()),
        'blockIp',
        '185.220.101.99',
        { status: 'succeeded', summary: 'Deny rule added first in the MX L3 firewall' },
        BOB,
        at(6),
      ),
  ],
  [
    'bare FindingSummary (no context yet)',
    () =>
      stateOf(
        normalizeFinding({
          detectionId: 'slack.audit.mass-download',
          dedupeKey: 'W0CAROL01|203.0.113.9',
          incidentId: 'incident-slack.audit.mass-download-0a1b2c',
          severity: 'medium',
          title: 'Mass download by carol',
          count: 42,
          firstSeen: '2026-03-01T10:00:00.000Z',
          lastSeen: '2026-03-02T09:00:00.000Z',
          isNew: true,
        }),
      ),
  ],
];

/** A live finding and what a backfill found for the same subject: one earlier occurrence, then a second. */
function withOccurrences(count = 2): IncidentState {
  let state = stateOf(slackFinding({ findingId: 'slack.audit.anomaly:ab12:1772444400000' }));
  for (let i = 0; i < count; i += 1) {
    const day = String(10 + i).padStart(2, '0');
    state = applyFindingUpdate(state, {
      findingId: `slack.audit.anomaly:ab12:day${day}`,
      count: 4 + i,
      firstSeen: `2026-02-${day}T08:00:00.000Z`,
      lastSeen: `2026-02-${day}T08:30:00.000Z`,
      severity: i === 0 ? 'high' : 'critical',
      evidence: [
        { label: 'reason', value: '["asn","ip_address"]' },
        { label: 'previousIp', value: `192.0.2.${i + 1}` },
      ],
    }).state;
  }
  return recordStep(state, {
    at: at(1),
    by: SENTRY_ACTOR,
    kind: 'occurrence',
    status: 'succeeded',
    summary: 'An earlier separate occurrence was found: 4 events, 2026-02-10 08:00 UTC → 2026-02-10 08:30 UTC',
  });
}
states.push(['open, with earlier occurrences found by a backfill', () => withOccurrences()]);

describe('incident message per state', () => {
  for (const [name, build] of states) {
    it(`${name}: valid, safe Block Kit`, () => {
      const message = buildIncidentMessage(build());
      assertSafe(message);
      expect(message).toMatchSnapshot();
    });
  }

  it('offers buttons by state: all while open, no Acknowledge once acknowledged, none when closed', () => {
    expect(buttons(stateOf())).toEqual([
      'Acknowledge',
      'Reset sessions: bob (W0BOB0001)',
      'Deactivate bob (W0BOB0001)',
      'Invalidate session 1001 of bob',
      'Snooze 7d',
      'False positive',
      'Benign positive',
    ]);
    const [, acknowledged] = states[1] ?? [];
    expect(buttons(acknowledged?.() ?? stateOf())).not.toContain('Acknowledge');
    expect(buttons(states[2]?.[1]() ?? stateOf())).not.toContain('Reset sessions: bob (W0BOB0001)');
    expect(buttons(states[3]?.[1]() ?? stateOf())).toContain('Retry: Deactivate bob (W0BOB0001)');
    for (const index of [5, 6, 7]) expect(buttons(states[index]?.[1]() ?? stateOf())).toEqual([]);
    expect(buttons(stateOf(merakiFinding()))).toEqual([
      'Acknowledge',
      'Block 185.220.101.99 on HQ',
      'Block client unknown-laptop (aa:bb:cc:00:11:22)',
      'Snooze 7d',
      'False positive',
      'Benign positive',
    ]);
    expect(buttons(stateOf(sprayFinding()))).toEqual(['Acknowledge', 'Snooze 7d', 'False positive', 'Benign positive']);
  });

  it('a reset asks for confirmation and names its target, like every destructive button', () => {
    const actions = buildIncidentMessage(stateOf(privilegeFinding())).blocks.find((b) => b.type === 'actions');
    if (actions?.type !== 'actions') throw new Error('no actions block');
    for (const element of actions.elements.filter((e) => e.style === 'danger')) {
      expect(element.confirm, element.text.text).toBeDefined();
      expect(element.confirm?.text.text).toMatch(/\((W0SOPHIA5|W0MOHAM04)\)/);
    }
    const reset = actions.elements.find((e) => e.text.text === 'Reset sessions: sophia.park (W0SOPHIA5)');
    expect(reset?.confirm?.title.text).toBe('Reset this user’s sessions?');
  });

  it('lists targets left without buttons and the guardrail that withheld each', () => {
    const state = withProtections(stateOf(privilegeFinding()), {
      'user:W0MOHAM04': { code: 'guardrail_owner', reason: 'W0MOHAM04 is an owner of the organization' },
    });
    const all = texts(buildIncidentMessage(state).blocks)
      .map((t) => t.text)
      .join('\n');
    expect(all).toContain(
      '*No actions offered on*\n⛔ `mohammed.silva (W0MOHAM04)`: W0MOHAM04 is an owner of the organization',
    );
    expect(buttons(state).some((b) => b.includes('W0MOHAM04'))).toBe(false);
    expect(buttons(state)).toContain('Deactivate sophia.park (W0SOPHIA5)');
  });

  it('encodes the incident and the target in every button, and a confirm dialog on destructive ones', () => {
    const actions = buildIncidentMessage(stateOf()).blocks.find((b) => b.type === 'actions');
    if (actions?.type !== 'actions') throw new Error('no actions block');
    for (const element of actions.elements) {
      expect(Object.values(ActionIds)).toContain(element.action_id);
      expect(decodeButtonValue(element.value)?.incidentId).toBe('incident-slack.audit.anomaly-3f2a9c1d');
    }
    const deactivate = actions.elements.find((e) => e.action_id === ActionIds.deactivateUser);
    expect(decodeButtonValue(deactivate?.value)).toEqual({
      incidentId: 'incident-slack.audit.anomaly-3f2a9c1d',
      target: 'W0BOB0001',
    });
    expect(deactivate?.confirm?.title.text).toBe('Deactivate this user?');
    expect(deactivate?.style).toBe('danger');
  });

  it('tells who did what to whom, from where, how often and why, then the evidence as facts', () => {
    const message = buildIncidentMessage(stateOf());
    const all = texts(message.blocks)
      .map((t) => t.text)
      .join('\n');
    for (const expected of [
      '*Who:* `bob` `W0BOB0001` `bob@sentry-test.example` _(suspect)_',
      '*What:* `slack.audit.anomaly` (`anomaly`)',
      '*From where:* `203.0.113.5` _(context)_',
      '*How often:* 3 events, <!date^1772444400^',
      '*Why it fired:* Any single matching event raises this finding; repeats within the window are merged.',
      '• *Reasons:* `asn, ip_address`',
      '• *Previous IP:* `192.0.2.10`',
      '`Mozilla/5.0 (Macintosh) Slack/4.36.0`',
      '`1001`',
      'SentrySlackAudit\n| where TimeGenerated between',
      'ActorUserId in ("W0BOB0001")',
    ]) {
      expect(all).toContain(expected);
    }
    // No raw JSON anywhere in the evidence.
    expect(all).not.toMatch(/\[\\?"|\{"/);
    const made = texts(buildIncidentMessage(stateOf(privilegeFinding())).blocks)
      .map((t) => t.text)
      .join('\n');
    expect(made).toContain('*Who:* `sophia.park` `W0SOPHIA5` _(suspect)_');
    expect(made).toContain('*To whom:* `mohammed.silva` `W0MOHAM04` _(suspect)_');
    const spray = texts(buildIncidentMessage(stateOf(sprayFinding())).blocks)
      .map((t) => t.text)
      .join('\n');
    expect(spray).toContain('*Who:* `ceo` `W0OWNER01`, `alice` `W0ALICE02`, `carol` `W0CAROL03` _(targeted)_');
    expect(spray).toContain('*From where:* `185.220.101.7` _(suspect)_');
    expect(spray).toContain('SrcIpAddr in ("185.220.101.7")');
    const meraki = texts(buildIncidentMessage(stateOf(merakiFinding())).blocks)
      .map((t) => t.text)
      .join('\n');
    for (const expected of [
      '`hq-mx` `Q2XX-AAAA-0001` `MX68`',
      '`cellular` `198.51.100.99`',
      '*On:* `hq-mx` `Q2XX-AAAA-0001`',
      '`HQ`',
      'union SentryMerakiEvent_CL, SentryMerakiUplink_CL',
      'Serial == "Q2XX-AAAA-0001"',
    ]) {
      expect(meraki).toContain(expected);
    }
    expect(message.text).toBe(
      '[CRITICAL] Slack flagged an anomalous session for bob | bob | 3 events | open | incident-slack.audit.anomaly-3f2a9c1d',
    );
  });
});

describe('hostile data', () => {
  const EVIL = '<!channel> *boom* <https://evil.example|login> @here `x` ``` & <@W0ALICE01> <!subteam^S0SECOPS1>';

  it('cannot mention, link or format anything, anywhere in the message', () => {
    const state = stateOf(
      normalizeFinding({
        detectionId: 'slack.audit.filename-keyword',
        dedupeKey: `W0BOB0001|${EVIL}`,
        incidentId: 'incident-slack.audit.filename-keyword-99',
        severity: 'high',
        title: `Keyword downloads ${EVIL}`,
        count: 11,
        firstSeen: '2026-03-02T09:00:00.000Z',
        lastSeen: '2026-03-02T09:30:00.000Z',
        subject: { type: 'user', id: 'W0BOB0001', name: EVIL },
        why: EVIL,
        entities: [
          userEntity('actor', 'suspect', 'W0BOB0001', EVIL, { email: `${EVIL}@x.example`, sessions: ['1001'] }),
          userEntity('affected', 'suspect', 'W0CAROL01', EVIL),
          ipEntity('185.220.101.7', 'suspect', { networkId: 'N_1', networkName: EVIL }),
        ],
        context: {
          ips: [EVIL],
          userAgents: [EVIL],
          files: [`salary ${EVIL}.xlsx`],
          channels: [EVIL],
          meraki: { networkId: 'N_1', networkName: EVIL, deviceName: EVIL, deviceSerial: 'Q2', uplink: EVIL },
        },
        evidence: [
          { label: EVIL, value: EVIL },
          { label: 'files', value: `${EVIL}, ${EVIL}` },
        ],
        eventIds: [EVIL],
      }),
    );
    const failed = apply(
      state,
      'resetSessions',
      'W0BOB0001',
      { status: 'failed', summary: `failed ${EVIL}`, error: { code: EVIL, message: EVIL, retriable: false } },
      { id: 'W0ALICE01', name: EVIL },
      at(1),
    );
    for (const s of [state, failed]) assertSafe(buildIncidentMessage(s));
    // Every button, confirm dialog and label names the target as plain text only.
    for (const label of buttons(state)) expect(label).not.toMatch(/[\n\r]/);
    const reply = replyText({
      type: 'outcome',
      kind: 'resetSessions',
      by: { id: EVIL },
      status: 'failed',
      summary: EVIL,
      error: { code: EVIL, message: EVIL },
    });
    expect(reply.match(/<[^>]*>/g) ?? []).toEqual([]);
  });

  it('thread replies keep outside names in code spans, in verbatim blocks, and out of the fallback text', () => {
    for (const status of ['succeeded', 'failed', 'skipped', 'refused'] as const) {
      const message = replyMessage({
        type: 'outcome',
        kind: 'deactivateUser',
        by: { id: 'W0ALICE01', name: EVIL },
        status,
        summary: 'Deactivated (SCIM)',
        targetName: `${EVIL} https://evil.example/reset *urgent* _now_`,
        error: { code: 'x', message: EVIL },
      });
      assertSafe(message);
      const text = (message.blocks[0] as { text: MrkdwnText }).text.text;
      expect(text).toContain('`&lt;!channel&gt; *boom* &lt;https://evil.example|login&gt; @\u2060here ˋxˋ');
      // Outside text appears only inside code spans: outside of them, no URL and no formatting markers.
      const outside = text.replace(/`[^`]*`/g, '');
      expect(outside).not.toContain('evil.example');
      expect(outside).not.toContain('*urgent*');
      expect(message.text).not.toContain('evil');
      expect(message.text).not.toContain('boom');
    }
  });

  it('keeps every text within Block Kit limits with an ellipsis', () => {
    const huge = 'A'.repeat(10_000);
    const state = stateOf(
      normalizeFinding({
        ...slackFinding(),
        title: huge,
        isNew: true,
        why: huge,
        entities: Array.from({ length: 10 }, (_, i) => userEntity('actor', 'suspect', `W0BOB000${i}`, huge)),
        context: {
          ips: Array.from({ length: 50 }, (_, i) => `10.0.0.${i}`),
          userAgents: [huge, huge],
          files: Array.from({ length: 40 }, () => huge),
        },
        evidence: Array.from({ length: 30 }, (_, i) => ({ label: `k${i}`, value: huge })),
      }),
    );
    const message = buildIncidentMessage(state);
    assertSafe(message);
    const header = message.blocks[0];
    expect(header?.type === 'header' && header.text.text.length).toBe(150);
    expect(header?.type === 'header' && header.text.text.endsWith('…')).toBe(true);
    for (const t of texts(message.blocks)) expect(t.text.length).toBeLessThanOrEqual(3000);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
  });

  it('cannot mention, link or format anything through an occurrence, in the message or the reply', () => {
    const state = applyFindingUpdate(stateOf(slackFinding({ findingId: 'live' })), {
      findingId: `old ${EVIL}`,
      count: 2,
      firstSeen: '2026-02-01T00:00:00.000Z',
      lastSeen: '2026-02-01T00:10:00.000Z',
      title: EVIL,
      evidence: [
        { label: EVIL, value: EVIL },
        { label: 'ua', value: `${EVIL}\n\n*bold*` },
      ],
    }).state;
    const message = buildIncidentMessage(state);
    assertSafe(message);
    const section = texts(message.blocks).find((t) => t.text.startsWith('*Other occurrences*'));
    expect(section?.text).toContain('&lt;!channel&gt;');
    const reply = replyText({
      type: 'occurrence',
      relation: 'earlier',
      findingId: EVIL,
      count: 2,
      firstSeen: EVIL,
      lastSeen: '2026-02-01T00:10:00.000Z',
    });
    // Only the date Sentry builds is a control sequence.
    expect(reply.match(/<[^>]*>/g)).toEqual([
      '<!date^1769904600^{date_short_pretty} {time_secs}|2026-02-01T00:10:00.000Z>',
    ]);
    expect(reply).not.toMatch(/@here\b/);
  });

  it('announces an occurrence in the thread with its span, size and finding id', () => {
    expect(
      replyText({
        type: 'occurrence',
        relation: 'earlier',
        findingId: 'slack.audit.anomaly:ab12:day03',
        count: 4,
        firstSeen: '2026-02-18T10:00:00.000Z',
        lastSeen: '2026-02-18T10:20:00.000Z',
        severity: 'high',
      }),
    ).toBe(
      ':mag: An earlier separate occurrence of this detection for the same subject was found (high): 4 events from <!date^1771408800^{date_short_pretty} {time_secs}|2026-02-18T10:00:00.000Z> to <!date^1771410000^{date_short_pretty} {time_secs}|2026-02-18T10:20:00.000Z> (finding `slack.audit.anomaly:ab12:day03`). It is part of this incident now and listed under *Other occurrences*.',
    );
  });

  it('lists a few occurrences and counts the rest, within Block Kit limits', () => {
    const huge = 'B'.repeat(5_000);
    let state = withOccurrences(SHOWN_OCCURRENCES + 3);
    state = applyFindingUpdate(state, {
      findingId: huge,
      count: 1,
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-01T00:00:01.000Z',
      evidence: [{ label: huge, value: huge }],
    }).state;
    const message = buildIncidentMessage(state);
    assertSafe(message);
    const section = texts(message.blocks).find((t) => t.text.startsWith('*Other occurrences*'));
    expect(section?.text.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(SHOWN_OCCURRENCES);
    expect(section?.text).toContain(`(${SHOWN_OCCURRENCES + 4} separate findings`);
    expect(section?.text.endsWith('+4 more in the findings stream')).toBe(true);
    for (const t of texts(message.blocks)) expect(t.text.length).toBeLessThanOrEqual(3000);
  });

  it('still names the responder group policy in the escalation reply only through Sentry’s own mention', () => {
    expect(
      replyText({
        type: 'escalation',
        oncallGroup: POLICY.oncallGroup,
        minutes: 15,
        automaticAction: 'resetSessions',
        automaticTarget: 'bob (W0BOB0001)',
      }),
    ).toBe(
      ':rotating_light: <!subteam^S0SECOPS1>: nobody acted on this incident within 15 min. Sentry is taking the automatic action: reset the sessions of `bob (W0BOB0001)`.',
    );
    expect(replyText({ type: 'escalation', oncallGroup: '<!channel>', minutes: 15 })).toBe(
      ':rotating_light: On-call: nobody acted on this incident within 15 min.',
    );
  });
});
