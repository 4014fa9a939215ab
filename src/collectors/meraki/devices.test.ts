import { describe, expect, it } from 'vitest';

import { deviceRecords } from './devices';

const mx = { serial: 'Q2KN-0001', name: 'Store MX', productType: 'appliance', lanIp: null, firmware: 'wired-18-211-2' };
const ap = { serial: 'Q3AB-0001', name: 'Store AP', productType: 'wireless', lanIp: '10.0.0.5' };
const mxStatus = {
  serial: 'Q2KN-0001',
  name: 'Store MX',
  status: 'offline',
  lastReportedAt: '2026-11-22T09:14:03.000000Z',
  publicIp: '172.58.44.19',
  lanIp: '192.168.100.2',
  gateway: '192.168.100.1',
  ipType: 'dhcp',
  productType: 'appliance',
};

describe('deviceRecords', () => {
  it('lands what the cycle read when it read one listing', () => {
    expect(deviceRecords([mx, ap], undefined)).toEqual([mx, ap]);
    expect(deviceRecords(undefined, [mxStatus])).toEqual([mxStatus]);
    expect(deviceRecords(undefined, undefined)).toEqual([]);
  });

  it('overlays each inventory item with its status, once per device, status fields winning', () => {
    const records = deviceRecords([mx, ap], [mxStatus]);
    expect(records).toEqual([
      {
        ...mx,
        status: 'offline',
        lastReportedAt: '2026-11-22T09:14:03.000000Z',
        publicIp: '172.58.44.19',
        lanIp: '192.168.100.2',
        gateway: '192.168.100.1',
        ipType: 'dhcp',
      },
      ap,
    ]);
    expect((records[0] as { firmware?: string }).firmware).toBe('wired-18-211-2');
  });

  it('keeps statuses of devices the inventory did not list, and items without a serial as they are', () => {
    const newMx = { ...mxStatus, serial: 'Q2KN-0002' };
    const broken = { name: 'no serial' };
    expect(deviceRecords([mx, broken], [mxStatus, newMx])).toEqual([
      expect.objectContaining({ serial: 'Q2KN-0001', status: 'offline' }),
      broken,
      newMx,
    ]);
  });
});
