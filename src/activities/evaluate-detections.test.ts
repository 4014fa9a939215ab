import { describe, expect, it } from 'vitest';

import { massDownload } from '../detections/slack/mass-download';
import { ALICE, fileEntity, Harness, series, slack, T0 } from '../../test/helpers/detection-testkit';
import { AppError } from '../errors';
import { MemoryFindingStore } from '../../test/helpers/findings';
import type { FindingRow } from '../transforms/streams';
import { streams } from '../transforms/streams';
import { evaluateDetections, findingsOfCycle, type EvaluateDetectionsDeps } from './evaluate-detections';

async function depsWithBurst(): Promise<{ deps: EvaluateDetectionsDeps; landed: FindingRow[] }> {
  const harness = new Harness([massDownload]);
  await harness.feed(
    slack(
      series(25, T0, 60, (i) => ({
        action: 'file_downloaded',
        actor: ALICE,
        entity: fileEntity(`F${String(i)}`, 'a.pdf'),
      })),
    ),
  );
  const landed: FindingRow[] = [];
  return {
    landed,
    deps: {
      windows: harness.windows,
      findings: new MemoryFindingStore(),
      detections: harness.detections,
      land: (rows) => {
        landed.push(...rows);
        return Promise.resolve();
      },
    },
  };
}

const now = new Date((T0 + 3_600) * 1000).toISOString();

describe('evaluateDetections activity', () => {
  it('rejects invalid input with a non-retriable coded error', async () => {
    const { deps } = await depsWithBurst();
    for (const bad of [
      undefined,
      {},
      { cycleId: '', now },
      { cycleId: 'c', now: 'yesterday' },
      { cycleId: 'c', now, rows: [] },
    ]) {
      const error = await evaluateDetections(bad, deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'input_invalid', retriable: false });
    }
  });

  it('returns counts only, leaves the findings in the store for dispatch, lands one valid row each, and accepts epoch milliseconds', async () => {
    const { deps, landed } = await depsWithBurst();
    const result = await evaluateDetections({ cycleId: 'c1', now: (T0 + 3_600) * 1000 }, deps);
    expect(result).toEqual({ reported: 1, created: 1, grown: 0, windows: 1, buckets: result.buckets });
    const reported = await findingsOfCycle(deps.findings, 'c1', deps.detections);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({
      detectionId: 'slack.audit.mass-download',
      isNew: true,
      count: 25,
      severity: 'medium',
    });
    expect(reported[0]?.incidentId).toMatch(/^incident-slack\.audit\.mass-download-[0-9a-f]{16}$/);
    // The incident tells separate findings of one key apart by this id (the row's EventId).
    expect(reported[0]?.findingId).toMatch(/^slack\.audit\.mass-download:/);
    expect(await findingsOfCycle(deps.findings, 'another cycle', deps.detections)).toEqual([]);
    expect(landed).toHaveLength(1);
    expect(streams.finding.schema.parse(landed[0])).toMatchObject({
      DetectionId: 'slack.audit.mass-download',
      Count: 25,
      Tactics: ['TA0009:T1530'],
    });
  });

  it('rethrows when landing fails, and the retry of the same cycle reports the saved finding again', async () => {
    const { deps, landed } = await depsWithBurst();
    const failing = {
      ...deps,
      land: () => Promise.reject(new AppError('ingestion_failed', 'throttled', { retriable: true })),
    };
    await expect(evaluateDetections({ cycleId: 'c1', now }, failing)).rejects.toMatchObject({
      code: 'ingestion_failed',
      retriable: true,
    });
    const retried = await evaluateDetections({ cycleId: 'c1', now }, deps);
    expect(retried.reported).toBe(1);
    expect(await findingsOfCycle(deps.findings, 'c1', deps.detections)).toMatchObject([{ isNew: true, count: 25 }]);
    expect(landed).toHaveLength(1);
  });

  it('rethrows when state cannot be read', async () => {
    for (const method of ['readIndex', 'readWindows', 'readAll'] as const) {
      const { deps } = await depsWithBurst();
      // The store's own methods, but the one under test fails.
      const windows = Object.assign(Object.create(deps.windows) as typeof deps.windows, {
        [method]: () => Promise.reject(new AppError('state_unavailable', 'down', { retriable: true })),
      });
      await expect(
        evaluateDetections({ cycleId: 'c1', now, full: method === 'readAll' }, { ...deps, windows }),
      ).rejects.toMatchObject({ code: 'state_unavailable' });
    }
  });

  it('skips disabled detections', async () => {
    const { deps } = await depsWithBurst();
    const result = await evaluateDetections(
      { cycleId: 'c1', now },
      { ...deps, detections: [massDownload.configure({ enabled: false })] },
    );
    expect(result.reported).toBe(0);
  });
});
