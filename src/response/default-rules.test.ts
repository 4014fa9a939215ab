/**
 * Every automatic-action rule Sentry ships must be able to fire: for each default rule, a real audit
 * entry runs through the detections it names (match, windows, evaluation, summary, incident) and the
 * incident it opens takes exactly that action on exactly one target. A default rule that names a
 * severity its detection never reaches, or an action its detection gives no target for, fails here.
 */
import { describe, expect, it } from 'vitest';

import { auditRow, raise, T0 } from '../../test/helpers/detection-testkit';
import { INCIDENT_TEST_ENV } from '../../test/helpers/incidents';
import { parseConfig } from '../config';
import type { Detection } from '../detections/define';
import { toSummary } from '../detections/evaluate';
import { DETECTIONS } from '../detections/registry';
import type { SlackAuditRow } from '../transforms/streams';
import { automaticAction, openIncident } from './incident-state';
import { normalizeFinding } from './model';
import { resolvePolicy } from './policy';

/** Per detection a default rule can name: rows that make it fire the way the rule expects. */
const FIRING: Readonly<Record<string, () => SlackAuditRow[]>> = {
  // Slack flags a session whose fingerprint changed: the stolen-cookie case the default rule is for.
  'slack.audit.anomaly': () => [auditRow({ action: 'anomaly', details: { reason: ['session_fingerprint'] } })],
};

function detectionsOf(pattern: string): Detection[] {
  return DETECTIONS.filter((d) =>
    pattern === '*' ? true : pattern.endsWith('*') ? d.id.startsWith(pattern.slice(0, -1)) : d.id === pattern,
  );
}

describe('the default automatic-action rules', () => {
  const config = parseConfig(INCIDENT_TEST_ENV);

  it('there is at least one, and every one names a detection that exists', () => {
    expect(config.incident.autoActions.length).toBeGreaterThan(0);
    for (const rule of config.incident.autoActions) expect(detectionsOf(rule.detection).length).toBeGreaterThan(0);
  });

  for (const rule of parseConfig(INCIDENT_TEST_ENV).incident.autoActions) {
    for (const detection of detectionsOf(rule.detection)) {
      it(`${rule.detection}@${rule.severity ?? '*'}${rule.orHigher ? '+' : ''}=${rule.action} fires on ${detection.id}`, async () => {
        const rows = FIRING[detection.id];
        expect(rows, `add rows that make ${detection.id} fire to FIRING`).toBeDefined();
        const [finding] = await raise(detection, rows?.() ?? []);
        if (finding === undefined) throw new Error(`${detection.id} raised no finding`);
        const summary = normalizeFinding(toSummary(finding, detection));
        const policy = resolvePolicy(config, summary.detectionId, summary.severity);
        expect(policy.automaticAction, `severity ${summary.severity} does not match the rule`).toBe(rule.action);
        const state = openIncident(summary, policy, new Date((T0 + 60) * 1000));
        const decision = automaticAction(state, new Date((T0 + 16 * 60) * 1000).toISOString());
        expect(decision.act?.kind).toBe(rule.action);
        expect(decision.act?.about?.kind).toBe('user');
      });
    }
  }
});
