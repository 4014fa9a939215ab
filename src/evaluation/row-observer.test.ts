import { describe, expect, it } from 'vitest';

import { MemoryWindowStore } from '../../test/helpers/windows';
import { MemoryCoverageStore } from '../../test/helpers/coverage';
import { MemoryEgressStore } from '../../test/helpers/egress';
import { massDownload } from '../detections/slack/mass-download';
import { sensitiveFileDownloads } from '../detections/slack/sensitive-file-downloads';
import { createRowObserver } from './row-observer';
import { ALICE, auditRow, fileEntity, series, T0, uplinkRows } from '../../test/helpers/detection-testkit';

const config = { detectionsConfig: undefined } as never;
const ctx = { source: 'slackAudit' as const, org: 'acme', cycleId: 'c' };

describe('createRowObserver', () => {
  it('observes synchronously and writes nothing until flush', async () => {
    const windows = new MemoryWindowStore();
    const observer = createRowObserver(config, ctx, {
      windows,
      detections: [massDownload.configure()],
      now: () => T0 * 1000,
    });
    for (const r of series(5, T0, 60, (i) => ({
      action: 'file_downloaded',
      entity: fileEntity(`F${String(i)}`, 'a.pdf'),
    })))
      observer.observe('slackAudit', r);
    expect(windows.entities.size).toBe(0);
    expect(await observer.flush()).toEqual({ updates: 1 });
    expect(await observer.flush()).toEqual({ updates: 0 });
    const [bucket] = await windows.readAll(T0);
    expect(bucket?.facts?.values).toMatchObject({ org: 'acme', actorEmail: ALICE.email, ip: '198.51.100.10' });
  });

  it("keeps the appliances' public uplink addresses as known egress, and how far back each stream reaches", async () => {
    const windows = new MemoryWindowStore();
    const egress = new MemoryEgressStore();
    const coverage = new MemoryCoverageStore();
    const run = async (feed: (o: ReturnType<typeof createRowObserver>) => void) => {
      const observer = createRowObserver(config, ctx, {
        windows,
        egress,
        coverage,
        detections: [massDownload.configure()],
        now: () => (T0 + 3_600) * 1000,
      });
      feed(observer);
      await observer.flush();
    };
    await run((o) => {
      o.observe('slackAudit', auditRow({ action: 'user_login', t: T0 + 50 }));
      o.observe('slackAudit', auditRow({ action: 'user_login', t: T0 + 10 }));
      for (const r of uplinkRows('Q2-MX', T0 + 30, [
        { interface: 'wan1', status: 'active', publicIp: '203.0.113.40' },
        { interface: 'wan2', status: 'ready', publicIp: null },
      ]))
        o.observe('merakiUplink', r);
    });
    expect(coverage.since).toEqual(
      new Map([
        ['slackAudit', T0 + 10],
        ['merakiUplink', T0 + 30],
      ]),
    );
    expect([...egress.facts.values()]).toEqual([{ ip: '203.0.113.40', kind: 'uplink', users: [], lastSeen: T0 + 30 }]);
    // Newer data leaves the start alone; a backfill moves it back.
    await run((o) => {
      o.observe('slackAudit', auditRow({ action: 'user_login', t: T0 + 900 }));
    });
    expect(coverage.since.get('slackAudit')).toBe(T0 + 10);
    await run((o) => {
      o.observe('slackAudit', auditRow({ action: 'user_login', t: T0 - 14 * 86_400 }));
    });
    expect(coverage.since.get('slackAudit')).toBe(T0 - 14 * 86_400);
  });

  it('skips streams and actions no enabled detection reads', async () => {
    const windows = new MemoryWindowStore();
    const observer = createRowObserver(config, ctx, {
      windows,
      detections: [massDownload.configure(), sensitiveFileDownloads.configure({ enabled: false })],
    });
    observer.observe('slackAudit', auditRow({ action: 'user_login' }));
    observer.observe(
      'merakiUplink',
      uplinkRows('Q', T0, [{ interface: 'wan1', status: 'active', publicIp: '1.2.3.4' }])[0] as never,
    );
    observer.observe('quarantine', {
      TimeGenerated: '',
      EventId: '',
      SourceOrg: '',
      Source: '',
      Reason: '',
      Raw: '',
      RawBytes: 0,
    });
    expect(await observer.flush()).toEqual({ updates: 0 });
  });

  it('keeps a failed flush retryable: a resolver error leaves the observations pending', async () => {
    const windows = new MemoryWindowStore();
    let fail = true;
    const observer = createRowObserver(config, ctx, {
      windows,
      detections: [sensitiveFileDownloads.configure({ sensitiveChannelIds: ['C0LEGAL'] })],
      resolveFileChannels: () => (fail ? Promise.reject(new Error('files.info 503')) : Promise.resolve(['C0LEGAL'])),
    });
    observer.observe('slackAudit', auditRow({ action: 'file_downloaded', entity: fileEntity('F1', 'a.pdf') }));
    await expect(observer.flush()).rejects.toThrow('files.info 503');
    fail = false;
    expect(await observer.flush()).toEqual({ updates: 1 });
  });

  it('loads the registry from the configuration document when no detections are injected', async () => {
    const windows = new MemoryWindowStore();
    const observer = createRowObserver(
      { detectionsConfig: '{"*":{"enabled":false},"slack.audit.empty-user-agent":{"enabled":true}}' } as never,
      ctx,
      { windows },
    );
    observer.observe('slackAudit', auditRow({ ua: '' }));
    observer.observe('slackAudit', series(30, T0, 1, () => ({ action: 'file_downloaded' }))[0] as never);
    await observer.flush();
    expect([...windows.entities.values()].map((e) => e.data.detectionId)).toEqual(['slack.audit.empty-user-agent']);
  });
});
