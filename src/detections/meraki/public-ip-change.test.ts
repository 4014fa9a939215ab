import { describe, expect, it } from 'vitest';

import { Harness, events, raise, T0, uplinkRows, uplinks, webhookRow } from '../../../test/helpers/detection-testkit';
import { publicIpChange } from './public-ip-change';

const SERIAL = 'Q2GY-AAAA-BBBB';
const normal = (t: number, wan1Ip = '38.104.1.10') =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status: 'active', publicIp: wan1Ip },
    { interface: 'wan2', status: 'ready', publicIp: '73.1.2.3' },
    { interface: 'cellular', status: 'ready', publicIp: '166.170.4.5' },
  ]);
const onLte = (t: number) =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status: 'failed' },
    { interface: 'wan2', status: 'failed' },
    { interface: 'cellular', status: 'active', publicIp: '166.170.4.5' },
  ]);
/** A partial snapshot: only the interfaces that changed since the previous poll land. */
const partial = (t: number, iface: string, status: string, publicIp?: string) =>
  uplinkRows(SERIAL, t, [{ interface: iface, status, ...(publicIp === undefined ? {} : { publicIp }) }]);
/** Full snapshots every 15 minutes from `from` to `to`. */
const every15 = (from: number, to: number, snapshot: (t: number) => ReturnType<typeof normal>) =>
  Array.from({ length: Math.floor((to - from) / 900) + 1 }, (_, i) => snapshot(from + i * 900)).flat();

describe('meraki.uplink.public-ip-change', () => {
  it('raises when the active uplink goes down and another takes over (WAN → LTE)', async () => {
    expect(publicIpChange.defaults).toMatchObject({ enabled: true, windowMinutes: 30 });
    const [f] = await raise(publicIpChange, uplinks([...normal(T0), ...onLte(T0 + 300)]));
    expect(f?.subject).toMatchObject({ type: 'device', id: SERIAL });
    expect(f?.title).toContain('failed over wan1 → cellular: public IP 38.104.1.10 → 166.170.4.5');
    expect(f?.evidence.publicIps).toEqual(['38.104.1.10', '166.170.4.5']);
    expect(f?.firstSeen).toBe(T0 + 300);
  });

  it('stays quiet on a DHCP lease renewal: a new public IP on wan1, which stays active', async () => {
    const renewed = [
      ...every15(T0, T0 + 1800, (t) => normal(t)),
      ...partial(T0 + 1860, 'wan1', 'active', '38.104.77.20'),
      ...every15(T0 + 2700, T0 + 5400, (t) => normal(t, '38.104.77.20')),
    ];
    expect(await raise(publicIpChange, uplinks(renewed))).toEqual([]);
  });

  it('recognizes a failover from status transitions alone, across partial snapshots, with no public IPs', async () => {
    const rows = [
      ...uplinkRows(SERIAL, T0, [
        { interface: 'wan1', status: 'active' },
        { interface: 'wan2', status: 'ready' },
      ]),
      ...partial(T0 + 60, 'wan1', 'failed'),
      ...partial(T0 + 100, 'wan2', 'active'),
    ];
    const [f] = await raise(publicIpChange, uplinks(rows));
    expect(f?.title).toMatch(/failed over wan1 → wan2$/);
    expect(f?.firstSeen).toBe(T0 + 60);
  });

  it('needs the takeover within the window of the loss (a site down for longer is an outage)', async () => {
    const late = [
      ...normal(T0),
      ...partial(T0 + 60, 'wan1', 'failed'),
      ...partial(T0 + 60 + 1801, 'cellular', 'active'),
    ];
    expect(await raise(publicIpChange, uplinks(late))).toEqual([]);
    const inTime = [
      ...normal(T0),
      ...partial(T0 + 60, 'wan1', 'failed'),
      ...partial(T0 + 60 + 1800, 'cellular', 'active'),
    ];
    expect(await raise(publicIpChange, uplinks(inTime))).toHaveLength(1);
    expect(await raise(publicIpChange, uplinks(late), { windowMinutes: 45 })).toHaveLength(1);
  });

  it('does not take an interface’s first sighting in the window for a takeover', async () => {
    // Nothing in view says cellular was not active before: it may have carried traffic all along.
    const rows = [
      ...uplinkRows(SERIAL, T0, [{ interface: 'wan1', status: 'active', publicIp: '38.104.1.10' }]),
      ...partial(T0 + 60, 'wan1', 'failed'),
      ...partial(T0 + 60, 'cellular', 'active', '166.170.4.5'),
    ];
    expect(await raise(publicIpChange, uplinks(rows))).toEqual([]);
  });

  it('ends the failover when the interface that took over goes down too: the outage after it is not the failover', async () => {
    const harness = new Harness([publicIpChange]);
    await harness.run(uplinks([...normal(T0), ...onLte(T0 + 300), ...partial(T0 + 600, 'cellular', 'failed')]));
    for (let t = T0 + 1200; t <= T0 + 3600; t += 900) await harness.run(uplinks(partial(t, 'cellular', 'connecting')));
    const [f] = await harness.all();
    expect(f?.lastEventT).toBe(T0 + 600);
  });

  it('stays quiet when a load-balanced WAN drops out and returns, and on a planned switch to standby', async () => {
    const balanced = (t: number, wan2: string) =>
      uplinkRows(SERIAL, t, [
        { interface: 'wan1', status: 'active', publicIp: '38.104.1.10' },
        { interface: 'wan2', status: wan2, publicIp: '73.1.2.3' },
      ]);
    expect(
      await raise(
        publicIpChange,
        uplinks([...balanced(T0, 'active'), ...balanced(T0 + 300, 'failed'), ...balanced(T0 + 600, 'active')]),
      ),
    ).toEqual([]);
    const planned = [...normal(T0), ...partial(T0 + 300, 'wan1', 'ready'), ...partial(T0 + 300, 'wan2', 'active')];
    expect(await raise(publicIpChange, uplinks(planned))).toEqual([]);
  });

  it('keeps a failback within the window in the same finding', async () => {
    const harness = new Harness([publicIpChange]);
    const [raised] = await harness.run(uplinks([...normal(T0), ...onLte(T0 + 300)]));
    expect(raised?.isNew).toBe(true);
    const after = await harness.run(uplinks([...normal(T0 + 900), ...normal(T0 + 1800)]));
    expect(after.every((f) => !f.isNew)).toBe(true);
    expect(await harness.all()).toHaveLength(1);
  });

  it('keeps a long outage one finding: polls while failed over hold it open until the failback and its alert', async () => {
    const harness = new Harness([publicIpChange]);
    expect((await harness.run(uplinks([...normal(T0), ...onLte(T0 + 300)])))[0]?.isNew).toBe(true);
    // Two hours on LTE, a full snapshot every 15 minutes, each cycle evaluated on its own.
    for (let t = T0 + 1200; t <= T0 + 7500; t += 900) await harness.run(uplinks(onLte(t)));
    const back = await harness.run([
      ...uplinks(normal(T0 + 8000)),
      ...events([webhookRow(SERIAL, T0 + 8000, 'failover_event')]),
    ]);
    expect(back.every((f) => !f.isNew)).toBe(true);
    const all = await harness.all();
    expect(all).toHaveLength(1);
    expect(all[0]?.lastEventT).toBe(T0 + 8000);
    // Then a new failover hours later is a new incident.
    const [again] = await harness.run(uplinks([...onLte(T0 + 20_000)]));
    expect(again?.isNew).toBe(true);
  });

  it('raises on a webhook failover alert before any poll sees the change, and merges the poll into it', async () => {
    const harness = new Harness([publicIpChange]);
    const [fromAlert] = await harness.run(events([webhookRow(SERIAL, T0, 'failover_event')]));
    expect(fromAlert?.isNew).toBe(true);
    expect(fromAlert?.title).toContain('failover');
    const [fromPoll] = await harness.run(uplinks([...normal(T0 - 60), ...onLte(T0 + 120)]));
    expect(fromPoll?.isNew).toBe(false);
    expect(fromPoll?.findingId).toBe(fromAlert?.findingId);
  });

  it('keeps a failover and the failback alert that ends it one finding, read together or cycle by cycle', async () => {
    // What history from the event log or webhooks alone shows: the alert of the failover, and 50
    // minutes later Meraki's alert of the failback (the same type, the other direction).
    const failover = webhookRow(SERIAL, T0, 'failover_event');
    const failback = webhookRow(SERIAL, T0 + 3_000, 'failover_event');
    const together = await raise(publicIpChange, events([failover, failback]));
    expect(together).toHaveLength(1);
    expect(together[0]?.count).toBe(2);

    const harness = new Harness([publicIpChange]);
    expect(await harness.run(events([failover]))).toHaveLength(1);
    const grown = await harness.run(events([failback]));
    expect(grown.map((f) => f.isNew)).toEqual([false]);
    expect(await harness.all()).toHaveLength(1);

    // Another failover hours later is another incident.
    const later = await raise(publicIpChange, events([failover, webhookRow(SERIAL, T0 + 5 * 3_600, 'failover_event')]));
    expect(later).toHaveLength(2);
  });

  it('ignores other alert types unless configured, and configured serials', async () => {
    expect(await raise(publicIpChange, events([webhookRow(SERIAL, T0, 'settings_changed')]))).toEqual([]);
    expect(
      await raise(publicIpChange, events([webhookRow(SERIAL, T0, 'vrrp')]), { failoverAlertTypes: ['vrrp'] }),
    ).toHaveLength(1);
    expect(
      await raise(publicIpChange, uplinks([...normal(T0), ...onLte(T0 + 300)]), { ignoreSerials: [SERIAL] }),
    ).toEqual([]);
  });
});
