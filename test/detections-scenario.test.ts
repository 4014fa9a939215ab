/**
 * The default scenario through the real transforms → the real row observer → windows and findings
 * in Table Storage (Azurite) → evaluation, one cycle per simulated day: every injected incident
 * produces exactly the findings it is tagged with, once, and the benign background produces none.
 * The evaluate activity then lands those findings as valid SentryFinding_CL rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateScenario, type Scenario } from '../dev/scenario';
import { evaluateDetections } from '../src/activities/evaluate-detections';
import { parseDetectionsConfig } from '../src/detections/config';
import type { FindingRecord } from '../src/detections/evaluate';
import { Harness } from './helpers/detection-testkit';
import { TableFindingStore } from '../src/state/findings';
import { TableWindowStore } from '../src/state/windows';
import { type FindingRow, streams } from '../src/transforms/streams';
import {
  expectedFindings,
  scenarioDays,
  scenarioDetectionsConfig,
  scenarioFileChannels,
} from './helpers/scenario-detections';
import { startTestAzurite, type TestAzurite } from './helpers/state';

let azurite: TestAzurite;
let scenario: Scenario;
const created: FindingRecord[] = [];
const grown: FindingRecord[] = [];
let harness: Harness;

beforeAll(async () => {
  azurite = await startTestAzurite();
  scenario = generateScenario({ seed: 20260302, now: '2026-03-02T12:00:00Z' });
  const detections = parseDetectionsConfig(JSON.stringify(scenarioDetectionsConfig(scenario.meta)));
  let simulatedNow = 0;
  harness = new Harness(detections, {
    resolveFileChannels: scenarioFileChannels(scenario),
    nowMs: () => simulatedNow * 1000,
    windows: new TableWindowStore(azurite.config, { concurrency: 16 }),
    findings: new TableFindingStore(azurite.config),
  });
  for (const day of scenarioDays(scenario)) {
    simulatedNow = day.to;
    await harness.feed(day.rows);
    for (const r of await harness.evaluate(day.to, `day-${String(day.from)}`)) (r.isNew ? created : grown).push(r);
  }
}, 600_000);

afterAll(async () => {
  await azurite.stop();
});

const key = (r: FindingRecord): string => `${r.detectionId}|${r.subject.id}`;

describe('the default scenario through transforms, observer and evaluation on Table Storage', () => {
  it('raises every tagged finding of every incident, and nothing else', () => {
    expect(scenario.incidents.length).toBeGreaterThanOrEqual(15);
    expect(created.map(key).sort()).toEqual(expectedFindings(scenario));
  });

  it('raises each of them once: repeats grow the open finding instead', () => {
    const keys = created.map(key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const g of grown) expect(keys).toContain(key(g));
  });

  it('counts what the incident did', async () => {
    const records = (await harness.all()).filter((r) => r.detectionId === 'slack.audit.mass-download');
    const incident = scenario.incidents.find((i) => i.kind === 'mass-download');
    expect(records).toHaveLength(1);
    expect(records[0]?.subject.id).toBe(incident?.subject);
    // The window also holds the user's ordinary downloads from the same IP that day.
    expect(records[0]?.count).toBeGreaterThanOrEqual(incident?.eventIds.length ?? Infinity);
    for (const id of incident?.eventIds ?? []) expect(records[0]?.eventIds).toContain(id);
  });

  it('reports nothing more when the last cycle is evaluated again with a new cycle id, and replays the same cycle', async () => {
    const end = Math.floor(scenario.meta.now / 1000);
    expect(await harness.evaluate(end + 60, 'again')).toEqual([]);
    const lastDay = `day-${String(end - ((end - Math.floor(scenario.meta.windowStart / 1000)) % 86_400 || 86_400))}`;
    const replay = await harness.evaluate(end, lastDay);
    for (const r of replay) expect(r.updatedCycle).toBe(lastDay);
  });

  it('lands the findings as SentryFinding_CL rows through evaluateDetections', async () => {
    const landed: FindingRow[] = [];
    const cycleId = 'landing-check';
    // A fresh finding store over the same windows: every finding is new again for this evaluation.
    const detections = parseDetectionsConfig(JSON.stringify(scenarioDetectionsConfig(scenario.meta)));
    const result = await evaluateDetections(
      { cycleId, now: new Date(scenario.meta.now).toISOString(), full: true },
      {
        windows: new TableWindowStore(azurite.config),
        findings: new (class extends TableFindingStore {
          override list() {
            return Promise.resolve([]);
          }
          override save() {
            return Promise.resolve();
          }
        })(azurite.config),
        detections,
        land: (rows) => {
          landed.push(...rows);
          return Promise.resolve();
        },
        purgeLimit: 0,
      },
    );
    expect(result.reported).toBeGreaterThan(0);
    expect(landed).toHaveLength(result.reported);
    for (const row of landed) expect(streams.finding.schema.safeParse(row).success).toBe(true);
    // Counts cross the durable boundary, whatever the number of findings (the queue limit is 45 KB).
    expect(JSON.stringify(result).length).toBeLessThan(200);
  });
});
