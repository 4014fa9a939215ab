import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { useTestAzurite } from '../../test/helpers/state';
import { listOpenIncidentSummaries } from './incident-summaries';
import { IncidentStore } from './incidents';

const t = useTestAzurite();

describe('listOpenIncidentSummaries (Azurite)', () => {
  it('returns the summaries of incidents not closed, and ignores action ledger rows', async () => {
    const store = new IncidentStore(t.config);
    const id = (label: string) => `incident-${label}-${randomUUID().slice(0, 6)}`;
    const open = id('open');
    const acknowledged = id('ack');
    const closed = id('closed');
    for (const [incidentId, status] of [
      [open, 'open'],
      [acknowledged, 'acknowledged'],
      [closed, 'closed'],
    ] as const) {
      await store.saveSummary({
        incidentId,
        detectionId: 'slack.audit.mass-download',
        status,
        count: 4,
        lastSeen: '2026-11-23T10:00:00.000Z',
        channel: status === 'open' ? 'C1' : undefined,
        messageTs: status === 'open' ? '1.2' : undefined,
        updatedAt: '2026-11-23T10:01:00.000Z',
      });
    }
    await store.put(open, {
      key: 'resetSessions:U1',
      status: 'succeeded',
      summary: 'done',
      attempts: 1,
      updatedAt: '2026-11-23T10:02:00.000Z',
    });

    const listed = await listOpenIncidentSummaries(t.config);
    expect(listed.map((s) => s.incidentId).sort()).toEqual([acknowledged, open].sort());
    expect(listed.find((s) => s.incidentId === open)).toEqual({
      incidentId: open,
      detectionId: 'slack.audit.mass-download',
      status: 'open',
      count: 4,
      lastSeen: '2026-11-23T10:00:00.000Z',
      channel: 'C1',
      messageTs: '1.2',
      updatedAt: '2026-11-23T10:01:00.000Z',
    });
    expect(listed.find((s) => s.incidentId === acknowledged)?.channel).toBeUndefined();
    expect(await listOpenIncidentSummaries(t.config, 1)).toHaveLength(1);
  });
});
