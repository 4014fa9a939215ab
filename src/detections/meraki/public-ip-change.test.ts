import { describe, expect, it } from 'vitest';

import { deviceRow, devices, events, Harness, raise, T0, uplinkRows, uplinks, webhookRow } from '../../../test/helpers/detection-testkit';
import { publicIpChange } from './public-ip-change';

const SERIAL = 'Q2GY-AAAA-BBBB';
const normal = (t: number) =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status: 'active', publicIp: '38.104.1.10' },
    { interface: 'wan2', status: 'ready', publicIp: '73.1.2.3' },
    { interface: 'cellular', status: 'ready', publicIp: '166.170.4.5' },
  ]);
const onLte = (t: number) =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status: 'failed' },
    { interface: 'wan2', status: 'failed' },
    { interface: 'cellular', status: 'active', publicIp: '166.170.4.5' },
  ]);

describe('meraki.uplink.public-ip-change', () => {
  it('raises when the active public IP changes within 30 minutes of polls', async () => {
    expect(publicIpChange.defaults).toMatchObject({ enabled: true, threshold: 1, windowMinutes: 30 });
    const [f] = await raise(publicIpChange, uplinks([...normal(T0), ...onLte(T0 + 300)]));
    expect(f?.subject).toMatchObject({ type: 'device', id: SERIAL });
    expect(f?.evidence.publicIps).toEqual(['38.104.1.10', '166.170.4.5']);
    expect(f?.title).toContain('38.104.1.10 → 166.170.4.5');
  });

  it('stays quiet on a stable IP (standby uplinks with other IPs do not count), and on changes 30+ minutes apart', async () => {
    const stable = Array.from({ length: 12 }, (_, i) => normal(T0 + i * 300)).flat();
    expect(await raise(publicIpChange, uplinks(stable))).toEqual([]);
    expect(await raise(publicIpChange, uplinks([...normal(T0), ...onLte(T0 + 1_801)]))).toEqual([]);
  });

  it('counts the appliance device-status public IP too, not other devices', async () => {
    const rows = devices([
      deviceRow(SERIAL, T0, { publicIp: '38.104.1.10' }),
      deviceRow(SERIAL, T0 + 600, { publicIp: '166.170.4.5' }),
    ]);
    expect(await raise(publicIpChange, rows)).toHaveLength(1);
    const ap = devices([
      deviceRow('Q3AJ-AP', T0, { publicIp: '38.104.1.10', productType: 'wireless' }),
      deviceRow('Q3AJ-AP', T0 + 600, { publicIp: '166.170.4.5', productType: 'wireless' }),
    ]);
    expect(await raise(publicIpChange, ap)).toEqual([]);
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

  it('ignores other alert types unless configured, and configured serials', async () => {
    expect(await raise(publicIpChange, events([webhookRow(SERIAL, T0, 'settings_changed')]))).toEqual([]);
    expect(
      await raise(publicIpChange, events([webhookRow(SERIAL, T0, 'vrrp')]), { failoverAlertTypes: ['vrrp'] }),
    ).toHaveLength(1);
    expect(
      await raise(publicIpChange, uplinks([...normal(T0), ...onLte(T0 + 300)]), { ignoreSerials: [SERIAL] }),
    ).toEqual([]);
  });

  it('follows a threshold override (more than 2 distinct IPs)', async () => {
    const rows = uplinks([...normal(T0), ...onLte(T0 + 300)]);
    expect(await raise(publicIpChange, rows, { threshold: 2 })).toEqual([]);
  });
});
