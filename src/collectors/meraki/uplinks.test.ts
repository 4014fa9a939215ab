import { describe, expect, it } from 'vitest';

import { loadExchange } from '../../../test/helpers/collector-testkit';
import { diffUplinks, uplinkKey, uplinkSnapshot, type UplinkStatusLike } from './uplinks';

function recordedStatuses(): UplinkStatusLike[] {
  return [
    ...(loadExchange('meraki-pages', '002-uplink-statuses-page-1').response.body as UplinkStatusLike[]),
    ...(loadExchange('meraki-pages', '003-uplink-statuses-page-2').response.body as UplinkStatusLike[]),
  ];
}

/** A copy of `statuses` with one uplink of one device changed. */
function withUplink(
  statuses: UplinkStatusLike[],
  serial: string,
  iface: string,
  patch: Partial<{ status: string; publicIp: string | null }>,
): UplinkStatusLike[] {
  return statuses.map((device) =>
    device.serial !== serial
      ? device
      : { ...device, uplinks: device.uplinks.map((u) => (u.interface === iface ? { ...u, ...patch } : u)) },
  );
}

const T0 = '2024-05-01T10:15:00Z';
const T1 = '2024-05-01T10:16:00Z';

describe('uplinkSnapshot', () => {
  it('keys every (serial, interface) with its status and public IP', () => {
    const snapshot = uplinkSnapshot(recordedStatuses(), T0);
    expect(Object.keys(snapshot.uplinks)).toHaveLength(6);
    expect(snapshot.uplinks[uplinkKey('Q2PN-AB12-CD34', 'cellular')]).toEqual({
      serial: 'Q2PN-AB12-CD34',
      interface: 'cellular',
      networkId: 'L_646829496481105433',
      status: 'ready',
      publicIp: '166.170.20.9',
      ip: '100.64.12.9',
    });
    expect(snapshot.uplinks[uplinkKey('Q2PN-JK90-LM12', 'wan1')]?.publicIp).toBeNull();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });
});

describe('diffUplinks', () => {
  it('reports nothing for a first (baseline) snapshot', () => {
    const current = uplinkSnapshot(recordedStatuses(), T0);
    expect(diffUplinks(undefined, current)).toEqual({ baseline: true, changes: [], failovers: [], next: current });
  });

  it('reports nothing when nothing changed', () => {
    const diff = diffUplinks(uplinkSnapshot(recordedStatuses(), T0), uplinkSnapshot(recordedStatuses(), T1));
    expect(diff.changes).toEqual([]);
    expect(diff.failovers).toEqual([]);
    expect(diff.baseline).toBe(false);
  });

  it('reports a public IP change on an interface whose status did not change', () => {
    const before = uplinkSnapshot(recordedStatuses(), T0);
    const after = uplinkSnapshot(
      withUplink(recordedStatuses(), 'Q2PN-EF56-GH78', 'wan1', { publicIp: '203.0.113.99' }),
      T1,
    );
    const diff = diffUplinks(before, after);
    expect(diff.changes).toEqual([
      {
        kind: 'changed',
        serial: 'Q2PN-EF56-GH78',
        interface: 'wan1',
        networkId: 'L_646829496481105434',
        previousStatus: 'active',
        status: 'active',
        previousPublicIp: '203.0.113.20',
        publicIp: '203.0.113.99',
        statusChanged: false,
        publicIpChanged: true,
      },
    ]);
    expect(diff.failovers).toEqual([]);
  });

  it('shows a failover to cellular as two interface changes and one device failover', () => {
    const before = uplinkSnapshot(recordedStatuses(), T0);
    let statuses = withUplink(recordedStatuses(), 'Q2PN-AB12-CD34', 'wan1', { status: 'failed', publicIp: null });
    statuses = withUplink(statuses, 'Q2PN-AB12-CD34', 'cellular', { status: 'active' });
    const diff = diffUplinks(before, uplinkSnapshot(statuses, T1));
    expect(
      diff.changes.map((c) => [c.interface, c.previousStatus, c.status, c.statusChanged, c.publicIpChanged]),
    ).toEqual([
      ['cellular', 'ready', 'active', true, false],
      ['wan1', 'active', 'failed', true, true],
    ]);
    expect(diff.failovers).toEqual([
      {
        serial: 'Q2PN-AB12-CD34',
        networkId: 'L_646829496481105433',
        from: ['wan1'],
        to: ['cellular'],
        toCellular: true,
      },
    ]);
  });

  it('shows the failback (cellular → wan1) without flagging cellular', () => {
    const onCellular = withUplink(
      withUplink(recordedStatuses(), 'Q2PN-AB12-CD34', 'wan1', { status: 'failed' }),
      'Q2PN-AB12-CD34',
      'cellular',
      { status: 'active' },
    );
    const diff = diffUplinks(uplinkSnapshot(onCellular, T0), uplinkSnapshot(recordedStatuses(), T1));
    expect(diff.failovers).toEqual([
      {
        serial: 'Q2PN-AB12-CD34',
        networkId: 'L_646829496481105433',
        from: ['cellular'],
        to: ['wan1'],
        toCellular: false,
      },
    ]);
  });

  it('reports added and removed interfaces, and devices gone from a complete listing', () => {
    const statuses = recordedStatuses();
    const before = uplinkSnapshot(statuses, T0);
    const changed = statuses
      .filter((device) => device.serial !== 'Q2PN-JK90-LM12')
      .map((device) =>
        device.serial === 'Q2PN-EF56-GH78'
          ? { ...device, uplinks: [...device.uplinks, { interface: 'cellular', status: 'connecting', publicIp: null }] }
          : device,
      );
    const diff = diffUplinks(before, uplinkSnapshot(changed, T1));
    expect(diff.changes.map((c) => [c.kind, c.serial, c.interface, c.previousStatus, c.status])).toEqual([
      ['added', 'Q2PN-EF56-GH78', 'cellular', null, 'connecting'],
      ['removed', 'Q2PN-JK90-LM12', 'cellular', 'active', null],
      ['removed', 'Q2PN-JK90-LM12', 'wan1', 'failed', null],
    ]);
    expect(Object.keys(diff.next.uplinks).some((key) => key.startsWith('Q2PN-JK90-LM12'))).toBe(false);
  });

  it('neither reports nor forgets devices missing from an incomplete (page-capped) listing', () => {
    const statuses = recordedStatuses();
    const before = uplinkSnapshot(statuses, T0);
    const firstPageOnly = uplinkSnapshot(statuses.slice(0, 2), T1, false);
    const diff = diffUplinks(before, firstPageOnly);
    expect(diff.changes).toEqual([]);
    expect(Object.keys(diff.next.uplinks).sort()).toEqual(Object.keys(before.uplinks).sort());
    expect(diff.next.takenAt).toBe(T1);
    // The carried-over device is compared normally once a complete listing arrives.
    const later = uplinkSnapshot(withUplink(statuses, 'Q2PN-JK90-LM12', 'cellular', { publicIp: '166.170.20.77' }), T1);
    expect(diffUplinks(diff.next, later).changes.map((c) => [c.serial, c.interface, c.publicIpChanged])).toEqual([
      ['Q2PN-JK90-LM12', 'cellular', true],
    ]);
  });
});
