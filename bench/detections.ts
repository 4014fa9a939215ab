/**
 * Detection precision and recall on the scenario: each seed's org (14 days of background with
 * injected incidents, near misses included) through the real transforms, observer and evaluation
 * over in-memory stores, one evaluation per simulated day, with the configuration the org would
 * deploy. A finding is a true positive when an incident is tagged with its detection and subject;
 * anything else is a false alert on the background. Precision = true / all findings; recall =
 * tagged (detection, subject) pairs found / all tagged.
 */
import { generateScenario } from '../dev/scenario';
import { parseDetectionsConfig } from '../src/detections/config';
import { Harness } from '../test/helpers/detection-testkit';
import {
  expectedFindings,
  scenarioDays,
  scenarioDetectionsConfig,
  scenarioFileChannels,
} from '../test/helpers/scenario-detections';

export const DETECTION_SEEDS = [20260302, 7, 424242] as const;

export interface DetectionQualityResult {
  seeds: number[];
  days: number;
  userDays: number;
  incidents: number;
  /** Tagged (detection, subject) pairs. */
  expected: number;
  findings: number;
  truePositives: number;
  precision: number;
  recall: number;
  /** `<seed> <detection>|<subject>` of findings no incident is tagged with. */
  falseAlerts: string[];
  /** `<seed> <detection>|<subject>` of tagged pairs nothing found. */
  missed: string[];
  seconds: number;
}

export async function measureDetections(seeds: readonly number[] = DETECTION_SEEDS): Promise<DetectionQualityResult> {
  const started = Date.now();
  let expectedTotal = 0;
  let findings = 0;
  let truePositives = 0;
  let incidents = 0;
  let userDays = 0;
  let days = 0;
  const falseAlerts: string[] = [];
  const missed: string[] = [];
  for (const seed of seeds) {
    const scenario = generateScenario({ seed, now: '2026-03-02T12:00:00Z' });
    const detections = parseDetectionsConfig(JSON.stringify(scenarioDetectionsConfig(scenario.meta)));
    let now = 0;
    const harness = new Harness(detections, {
      resolveFileChannels: scenarioFileChannels(scenario),
      nowMs: () => now * 1000,
    });
    const batches = scenarioDays(scenario);
    for (const day of batches) {
      now = day.to;
      await harness.feed(day.rows);
      await harness.evaluate(day.to, `day-${String(day.from)}`);
    }
    const raised = new Set((await harness.all()).map((r) => `${r.detectionId}|${r.subject.id}`));
    const expected = new Set(expectedFindings(scenario));
    expectedTotal += expected.size;
    findings += raised.size;
    incidents += scenario.incidents.length;
    days = batches.length;
    userDays += scenario.slack.users.filter((u) => !u.is_bot && !u.deleted).length * batches.length;
    for (const key of raised) {
      if (expected.has(key)) truePositives += 1;
      else falseAlerts.push(`${String(seed)} ${key}`);
    }
    for (const key of expected) if (!raised.has(key)) missed.push(`${String(seed)} ${key}`);
  }
  return {
    seeds: [...seeds],
    days,
    userDays,
    incidents,
    expected: expectedTotal,
    findings,
    truePositives,
    precision: findings === 0 ? 1 : truePositives / findings,
    recall: expectedTotal === 0 ? 1 : (expectedTotal - missed.length) / expectedTotal,
    falseAlerts,
    missed,
    seconds: (Date.now() - started) / 1000,
  };
}
