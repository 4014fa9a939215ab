import { describe, expect, it } from 'vitest';

import { deviceRow, devices, raise, T0, uplinkRows, uplinks } from '../../../test/helpers/detection-testkit';
import { siteOffline } from './site-offline';

const SERIAL = 'Q2EY-CCCC-DDDD';
const down = (t: number) =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status: 'failed' },
    { interface: 'wan2', status: 'not connected' },
    { interface: 'cellular', status: 'connecting' },
  ]);
const up = (t: number) =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status: 'failed' },
    { interface: 'wan2', status: 'failed' },
    { interface: 'cellular', status: 'active', publicIp: '166.170.4.5' },
  ]);
const normal = (t: number) =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status: 'active', publicIp: '38.104.1.10' },
    { interface: 'wan2', status: 'ready', publicIp: '73.1.2.3' },
    { interface: 'cellular', status: 'ready', publicIp: '166.170.4.5' },
  ]);
/** A partial snapshot: only the interfaces that changed since the previous poll land. */
const partial = (t: number, iface: string, status: string) => uplinkRows(SERIAL, t, [{ interface: iface, status }]);

describe('meraki.appliance.site-offline', () => {
  it('raises when no uplink is active for 5 minutes of polls or more', async () => {
    expect(siteOffline.defaults).toMatchObject({ enabled: true, minutes: 5 });
    const rows = [0, 120, 240, 360].flatMap((dt) => down(T0 + dt));
    const [f] = await raise(siteOffline, uplinks(rows));
    expect(f?.subject.id).toBe(SERIAL);
    expect(f?.count).toBe(4);
    expect(f?.severity).toBe('high');
    expect(f?.evidence).toMatchObject({ reason: 'no uplink active', snapshots: 4 });
    expect(await raise(siteOffline, uplinks([...down(T0), ...down(T0 + 300)]))).toHaveLength(1);
  });

  it('stays quiet for an outage just under 5 minutes and while cellular carries traffic (WANs down, site online)', async () => {
    expect(await raise(siteOffline, uplinks([...down(T0), ...down(T0 + 299), ...up(T0 + 420)]))).toEqual([]);
    expect(await raise(siteOffline, uplinks([...down(T0), ...down(T0 + 120), ...up(T0 + 240)]))).toEqual([]);
    expect(await raise(siteOffline, uplinks([0, 300, 600, 900].flatMap((dt) => up(T0 + dt))))).toEqual([]);
  });

  it('keeps each interface’s last status across partial snapshots: a failed backup alone is not an outage', async () => {
    // wan1 stays active (it is in the full snapshot only); the polls between land only what changed.
    const rows = [
      ...normal(T0),
      ...partial(T0 + 120, 'wan2', 'failed'),
      ...partial(T0 + 300, 'cellular', 'connecting'),
      ...partial(T0 + 480, 'cellular', 'ready'),
      ...partial(T0 + 600, 'wan2', 'ready'),
    ];
    expect(await raise(siteOffline, uplinks(rows))).toEqual([]);
  });

  it('raises when the partial snapshots take the last active interface down', async () => {
    const rows = [
      ...normal(T0),
      ...partial(T0 + 60, 'wan1', 'failed'),
      ...partial(T0 + 180, 'cellular', 'connecting'),
      ...partial(T0 + 420, 'wan2', 'failed'),
    ];
    const [f] = await raise(siteOffline, uplinks(rows));
    expect(f?.firstSeen).toBe(T0 + 60);
    expect(f?.lastSeen).toBe(T0 + 420);
    // Back on wan1 before 5 minutes of polls: quiet.
    const short = [
      ...rows.slice(0, -1),
      ...partial(T0 + 300, 'wan1', 'active'),
      ...partial(T0 + 420, 'wan2', 'failed'),
    ];
    expect(await raise(siteOffline, uplinks(short))).toEqual([]);
  });

  it('does not call a device offline while an interface it has is still unknown in the window', async () => {
    // wan1 appears only in the full snapshot after the polls: before it, its status is unknown.
    const rows = [
      ...partial(T0, 'wan2', 'failed'),
      ...partial(T0 + 120, 'cellular', 'connecting'),
      ...partial(T0 + 420, 'cellular', 'failed'),
      ...normal(T0 + 900),
    ];
    expect(await raise(siteOffline, uplinks(rows))).toEqual([]);
  });

  it('uses the appliance device status too, and the configured duration', async () => {
    const offline = devices([
      deviceRow(SERIAL, T0, { status: 'offline' }),
      deviceRow(SERIAL, T0 + 600, { status: 'offline' }),
    ]);
    const [f] = await raise(siteOffline, offline);
    expect(f?.evidence).toMatchObject({ reason: 'device status offline' });
    expect(await raise(siteOffline, offline, { minutes: 15 })).toEqual([]);
    const switchOffline = devices([
      deviceRow('Q2HP', T0, { status: 'offline', productType: 'switch' }),
      deviceRow('Q2HP', T0 + 600, { status: 'offline', productType: 'switch' }),
    ]);
    expect(await raise(siteOffline, switchOffline)).toEqual([]);
    const online = devices([deviceRow(SERIAL, T0 + 300, { status: 'online' })]);
    expect(await raise(siteOffline, [...uplinks([...down(T0), ...down(T0 + 600)]), ...online])).toEqual([]);
  });

  it('keeps an offline device offline through a stale full snapshot, until an interface is seen coming up', async () => {
    const stale = [
      ...devices([deviceRow(SERIAL, T0, { status: 'offline' })]),
      // An unreachable MX's last report: wan1 still "active", unchanged.
      ...uplinks(normal(T0 + 120)),
      ...devices([deviceRow(SERIAL, T0 + 360, { status: 'offline' })]),
    ];
    expect(await raise(siteOffline, stale)).toHaveLength(1);
    const recovered = [
      ...uplinks(down(T0 - 60)),
      ...devices([deviceRow(SERIAL, T0, { status: 'offline' })]),
      ...uplinks(partial(T0 + 120, 'wan1', 'active')),
      ...devices([deviceRow(SERIAL, T0 + 360, { status: 'offline' })]),
    ];
    expect(await raise(siteOffline, recovered)).toEqual([]);
  });
});
