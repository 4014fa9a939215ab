import { describe, expect, it } from 'vitest';

import { ALICE, BOB, fileEntity, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { massDownload } from './mass-download';

const HOUR = 3_600;
const DAY = 86_400;
let seq = 0;

/** n downloads `gap` seconds apart from `start`. */
const downloads = (n: number, gap: number, start = T0, ip = '203.0.113.5', who = ALICE) =>
  series(n, start, gap, () => {
    seq += 1;
    return {
      action: 'file_downloaded',
      actor: who,
      ip,
      entity: fileEntity(`F${String(seq)}`, `report-${String(seq)}.pdf`),
    };
  });

/** A heavy but ordinary user: 12 downloads every morning (07-10) and 12 every evening (16-19). */
const heavyDays = (days: number, from = 0) =>
  Array.from({ length: days }, (_, d) => [
    ...downloads(12, 15 * 60, T0 + (from + d) * DAY + 7 * HOUR),
    ...downloads(12, 15 * 60, T0 + (from + d) * DAY + 16 * HOUR),
  ]).flat();

describe('slack.audit.mass-download', () => {
  it('defaults: a floor of 20 a day, a burst of more than 15 within 60 min, a 7-day learning period', () => {
    expect(massDownload.defaults).toMatchObject({
      threshold: 20,
      burstThreshold: 15,
      burstMinutes: 60,
      learningDays: 7,
      baselineMultiplier: 200,
    });
  });

  it('a burst: nothing at 15 within an hour, one finding at 16, from the first day (no history needed)', async () => {
    expect(await raise(massDownload, downloads(15, 120))).toEqual([]);
    const [finding] = await raise(massDownload, downloads(16, 120));
    expect(finding).toMatchObject({ count: 16, subject: { id: ALICE.id }, dedupeKey: `${ALICE.id}|203.0.113.5` });
    expect(finding?.why).toBe('16 downloads within 60 min, above the burst threshold of 15.');
    expect(finding?.title).toContain('within 30 min');
  });

  it('volume while learning a user: the bar is twice the floor (40 in 24 h)', async () => {
    expect(await raise(massDownload, downloads(40, 30 * 60))).toEqual([]);
    const [finding] = await raise(massDownload, downloads(41, 30 * 60));
    expect(finding?.count).toBe(41);
    expect(finding?.why).toContain('above this user');
  });

  it('a heavy but ordinary user (24 in every 24 h, two workdays at a time) never alerts, learning or learned', async () => {
    expect(await raise(massDownload, heavyDays(14))).toEqual([]);
  });

  it('once learned, the bar is twice the user’s busiest day: 48 stays quiet, 49 alerts', async () => {
    const history = heavyDays(8);
    // Day 9: spread evenly (no burst), 48 then 49 downloads within 24 h.
    const near = downloads(48, 29 * 60, T0 + 9 * DAY);
    expect(await raise(massDownload, [...history, ...near])).toEqual([]);
    const over = downloads(49, 29 * 60, T0 + 9 * DAY);
    const findings = await raise(massDownload, [...heavyDays(8), ...over]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.count).toBeGreaterThanOrEqual(49);
  });

  it('keeps the cautious bar until the history holds 5 days with downloads', async () => {
    // Three quiet days a week ago say little: 30 in a day stays under the cautious 40.
    const thin = [0, 1, 2].flatMap((d) => downloads(8, 45 * 60, T0 + d * DAY + 9 * HOUR));
    const busy = downloads(30, 29 * 60, T0 + 9 * DAY);
    expect(await raise(massDownload, [...thin, ...busy])).toEqual([]);
    // Five such days make the user's own bar: twice 8 is under the floor, so more than 20 alerts.
    const known = [0, 1, 2, 3, 4].flatMap((d) => downloads(8, 45 * 60, T0 + d * DAY + 9 * HOUR));
    const [finding] = await raise(massDownload, [...known, ...downloads(30, 29 * 60, T0 + 9 * DAY + 3_600)]);
    expect(finding?.why).toContain('above this user');
  });

  it('counts per user and IP, keeps users apart and ignores other actions', async () => {
    expect(await raise(massDownload, [...downloads(12, 120), ...downloads(12, 120, T0, '198.51.100.7')])).toEqual([]);
    const uploads = series(30, T0, 10, (i) => ({
      action: 'file_uploaded',
      entity: fileEntity(`U${String(i)}`, 'x.pdf'),
    }));
    expect(
      await raise(massDownload, [...downloads(12, 120), ...downloads(12, 120, T0, '203.0.113.5', BOB), ...uploads]),
    ).toEqual([]);
  });

  it('honours ignored IPs (CIDR) and users', async () => {
    expect(await raise(massDownload, downloads(25, 60), { ignoreIps: ['203.0.113.0/24'] })).toEqual([]);
    expect(await raise(massDownload, downloads(25, 60), { ignoreUserIds: [ALICE.id] })).toEqual([]);
  });

  it('reports a burst found in replayed history even when evaluated days later', async () => {
    const findings = await raise(massDownload, downloads(22, 120, T0 - 10 * DAY), undefined, { now: T0 });
    expect(findings).toHaveLength(1);
  });

  it('grows one open finding as the burst goes on', async () => {
    const [first] = await raise(massDownload, downloads(16, 60));
    expect(first?.isNew).toBe(true);
  });
});
