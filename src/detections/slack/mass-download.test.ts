import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, BOB, fileEntity, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { massDownload } from './mass-download';

const downloads = (n: number, ip = '203.0.113.5', who = ALICE, start = T0) =>
  series(n, start, 120, (i) => ({
    action: 'file_downloaded',
    actor: who,
    ip,
    entity: fileEntity(`F${String(i)}`, `report-${String(i)}.pdf`),
  }));

thresholdSuite(massDownload, { threshold: 20, make: (n) => downloads(n), subjectId: ALICE.id });

describe('slack.audit.mass-download', () => {
  it('counts per user and IP: 15 + 15 from two IPs is not a burst', async () => {
    expect(await raise(massDownload, [...downloads(15, '203.0.113.5'), ...downloads(15, '198.51.100.7')])).toEqual([]);
  });

  it('keeps users apart and ignores other actions', async () => {
    const rows = [...downloads(15, '203.0.113.5', ALICE), ...downloads(15, '203.0.113.5', BOB)];
    const uploads = series(30, T0, 10, (i) => ({
      action: 'file_uploaded',
      entity: fileEntity(`U${String(i)}`, 'x.pdf'),
    }));
    expect(await raise(massDownload, [...rows, ...uploads])).toEqual([]);
  });

  it('slides a 24 h window: 21 downloads spread over 25 h do not fire', async () => {
    expect(
      await raise(
        massDownload,
        series(21, T0, 75 * 60, (i) => ({
          action: 'file_downloaded',
          ip: '203.0.113.5',
          entity: fileEntity(`F${String(i)}`, 'a.pdf'),
        })),
      ),
    ).toEqual([]);
  });

  it('honours ignored IPs (CIDR) and users', async () => {
    expect(await raise(massDownload, downloads(25), { ignoreIps: ['203.0.113.0/24'] })).toEqual([]);
    expect(await raise(massDownload, downloads(25), { ignoreUserIds: [ALICE.id] })).toEqual([]);
  });

  it('keys findings by user and IP and names both', async () => {
    const [f] = await raise(massDownload, downloads(21));
    expect(f?.dedupeKey).toBe(`${ALICE.id}|203.0.113.5`);
    expect(f?.title).toContain('203.0.113.5');
    expect(f?.evidence.files).toHaveLength(21);
  });

  it('reports a burst found in replayed history even when evaluated days later', async () => {
    const findings = await raise(massDownload, downloads(22, '203.0.113.5', ALICE, T0 - 10 * 86_400), undefined, {
      now: T0,
    });
    expect(findings).toHaveLength(1);
  });
});
