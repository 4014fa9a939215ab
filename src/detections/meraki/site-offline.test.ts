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

describe('meraki.appliance.site-offline', () => {
  it('raises when no uplink is active for more than 5 minutes of polls', async () => {
    expect(siteOffline.defaults).toMatchObject({ enabled: true, minutes: 5 });
    const rows = [0, 120, 240, 360].flatMap((dt) => down(T0 + dt));
    const [f] = await raise(siteOffline, uplinks(rows));
    expect(f?.subject.id).toBe(SERIAL);
    expect(f?.count).toBe(4);
    expect(f?.severity).toBe('high');
  });

  it('stays quiet for a short outage and while cellular carries traffic (WANs down, site online)', async () => {
    expect(await raise(siteOffline, uplinks([...down(T0), ...down(T0 + 120), ...up(T0 + 240)]))).toEqual([]);
    expect(await raise(siteOffline, uplinks([0, 300, 600, 900].flatMap((dt) => up(T0 + dt))))).toEqual([]);
  });

  it('uses the appliance device status too, and the configured duration', async () => {
    const offline = devices([
      deviceRow(SERIAL, T0, { status: 'offline' }),
      deviceRow(SERIAL, T0 + 600, { status: 'offline' }),
    ]);
    expect(await raise(siteOffline, offline)).toHaveLength(1);
    expect(await raise(siteOffline, offline, { minutes: 15 })).toEqual([]);
    const switchOffline = devices([
      deviceRow('Q2HP', T0, { status: 'offline', productType: 'switch' }),
      deviceRow('Q2HP', T0 + 600, { status: 'offline', productType: 'switch' }),
    ]);
    expect(await raise(siteOffline, switchOffline)).toEqual([]);
  });
});
