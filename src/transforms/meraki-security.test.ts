import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitHostPort, toMerakiSecurityEventRow } from './meraki-security';
import type { TransformResult } from './row-builder';
import { streams } from './streams';

const items = JSON.parse(
  readFileSync(resolve(__dirname, '../../test/fixtures/meraki/appliance-security-events.json'), 'utf8'),
) as Record<string, unknown>[];
const ids = items[0] ?? {};
const scan = items[1] ?? {};
const HQ = { networkId: 'L_549236000000000001', networkName: 'HQ', serial: 'Q2HQ-MX00-0001', name: 'HQ-MX' };

function ok<T>(result: TransformResult<T>): T {
  if (!result.ok) throw new Error(`expected a row, got: ${result.reason}`);
  return result.row;
}

describe('toMerakiSecurityEventRow', () => {
  it('maps an IDS alert: time from ts, address and port apart, priority as a number, the appliance’s network', () => {
    const row = ok(toMerakiSecurityEventRow(ids, { sourceOrg: '549236', appliance: HQ }));
    expect(row).toEqual({
      TimeGenerated: '2026-11-22T09:10:42.218304Z',
      EventId: row.EventId,
      SourceOrg: '549236',
      EventType: 'IDS Alert',
      NetworkId: 'L_549236000000000001',
      NetworkName: 'HQ',
      DeviceMac: 'e0:55:3d:10:2a:01',
      DeviceSerial: 'Q2HQ-MX00-0001',
      DeviceName: 'HQ-MX',
      SrcIp: '45.137.23.246',
      SrcPort: 42101,
      DestIp: '10.20.30.40',
      DestPort: 9034,
      Protocol: 'udp/ip',
      Priority: 1,
      Classification: '9',
      Blocked: false,
      Message: 'SERVER-OTHER RealTek UDPServer command injection attempt',
      Signature: '1:58853:1',
      SigSource: 'ids-vrt-balanced',
      RuleId: 'meraki:intrusion/snort/GID/1/SID/58853',
    });
    expect(row.EventId).toMatch(/^[0-9a-f]{32}$/);
    expect(streams.merakiSecurity.schema.safeParse(row).success).toBe(true);
  });

  it('maps a file scan without an appliance: no network, destinationPort as DestPort', () => {
    const row = ok(toMerakiSecurityEventRow(scan, { sourceOrg: '549236' }));
    expect(row).toMatchObject({
      EventType: 'File Scanned',
      ClientMac: '22:33:44:55:66:77',
      ClientName: 'LAPTOP-ALICE',
      ClientIp: '10.0.1.23',
      SrcIp: '10.0.1.23',
      DestIp: '119.192.233.48',
      DestPort: 80,
      FileSizeBytes: 193688,
      Disposition: 'Malicious',
      Action: 'Blocked',
    });
    expect(row).not.toHaveProperty('NetworkId');
    expect(row).not.toHaveProperty('SrcPort');
    expect(streams.merakiSecurity.schema.safeParse(row).success).toBe(true);
  });

  it('gives a re-read the same EventId, whatever the network lookup found, and another event another one', () => {
    const a = ok(toMerakiSecurityEventRow(structuredClone(ids), { sourceOrg: '549236', appliance: HQ }));
    const b = ok(toMerakiSecurityEventRow(structuredClone(ids), { sourceOrg: '549236' }));
    expect(b.EventId).toBe(a.EventId);
    const other = ok(toMerakiSecurityEventRow({ ...ids, signature: '1:58853:2' }, { sourceOrg: '549236' }));
    expect(other.EventId).not.toBe(a.EventId);
    const otherOrg = ok(toMerakiSecurityEventRow(ids, { sourceOrg: '681155' }));
    expect(otherOrg.EventId).not.toBe(a.EventId);
  });

  it('refuses a record without a valid ts or eventType, or with a non-boolean blocked, with the reason', () => {
    for (const [record, field] of [
      [{ ...ids, ts: 'not-a-time' }, 'ts'],
      [{ ...ids, eventType: undefined }, 'eventType'],
      [{ ...ids, blocked: 'maybe' }, 'blocked'],
      ['not an object', ''],
    ] as const) {
      const result = toMerakiSecurityEventRow(record, { sourceOrg: '549236' });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.reason).toMatch(/^invalid Meraki security event: /);
        expect(result.reason).toContain(field);
      }
    }
  });

  it('keeps unknown fields of new event kinds in Extra', () => {
    const row = ok(
      toMerakiSecurityEventRow(
        { ts: '2026-11-22T09:15:00.000000Z', eventType: 'Content Filtering Block', url: 'http://x.test' },
        { sourceOrg: '549236' },
      ),
    );
    expect(row.EventType).toBe('Content Filtering Block');
    expect(row.Extra).toEqual({ url: 'http://x.test' });
  });
});

describe('splitHostPort', () => {
  it.each([
    ['45.137.23.246:42101', { ip: '45.137.23.246', port: 42101 }],
    ['119.192.233.48', { ip: '119.192.233.48' }],
    ['[2001:db8::1]:443', { ip: '2001:db8::1', port: 443 }],
    ['2001:db8::1', { ip: '2001:db8::1' }],
    ['', {}],
  ])('%s', (value, expected) => {
    expect(splitHostPort(value)).toEqual(expected);
  });
});
