import { describe, expect, it } from 'vitest';

import { inCidr, ipInList, parseCidr, parseIp, specialRange } from './ip';

describe('IP parsing', () => {
  it('parses IPv4 and IPv6 (compressed, dotted tail, zone) and rejects near misses', () => {
    expect(parseIp('185.220.101.7')).toEqual({ version: 4, value: 0xb9dc6507 });
    expect(parseIp('2001:db8::1')).toEqual({ version: 6, value: 0x20010db8000000000000000000000001n });
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ version: 6, value: 0xffff0a010203n });
    expect(parseIp('fe80::1%eth0')?.version).toBe(6);
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', ':::', '1::2::3', 'g::1', '', 'localhost'])
      expect(parseIp(bad), bad).toBeUndefined();
  });

  it('matches CIDRs of both families, never across them', () => {
    const net = parseCidr('185.220.101.0/24');
    const ip = parseIp('185.220.101.7');
    if (net === undefined || ip === undefined) throw new Error('does not parse');
    expect(inCidr(ip, net)).toBe(true);
    expect(ipInList('185.220.102.7', ['185.220.101.0/24'])).toBe(false);
    expect(ipInList('2607:fb90:1::5', ['2607:fb90::/32'])).toBe(true);
    expect(ipInList('185.220.101.7', ['::/0'])).toBe(false);
    expect(ipInList('185.220.101.7', ['0.0.0.0/0'])).toBe(true);
    expect(ipInList('185.220.101.7', ['not-a-cidr', '185.220.101.7'])).toBe(true);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });
});

describe('special-purpose ranges no block may touch', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8'],
    ['172.16.5.4', '172.16.0.0/12'],
    ['192.168.1.1', '192.168.0.0/16'],
    ['127.0.0.1', '127.0.0.0/8'],
    ['169.254.169.254', '169.254.0.0/16'],
    ['100.64.0.1', '100.64.0.0/10'],
    ['224.0.0.251', '224.0.0.0/4'],
    ['255.255.255.255', '240.0.0.0/4'],
    ['0.0.0.0', '0.0.0.0/8'],
    ['192.0.2.10', '192.0.2.0/24'],
    ['198.18.0.1', '198.18.0.0/15'],
    ['::1', '::1/128'],
    ['fe80::1', 'fe80::/10'],
    ['fd12:3456::1', 'fc00::/7'],
    ['ff02::1', 'ff00::/8'],
    ['2001:db8::5', '2001:db8::/32'],
    ['::ffff:10.1.2.3', '10.0.0.0/8'],
    ['2002:0a01:0203::1', '10.0.0.0/8'],
  ])('%s is special (%s)', (ip, range) => {
    expect(specialRange(ip)?.range).toBe(range);
  });

  it.each(['185.220.101.7', '172.56.1.2', '100.128.0.1', '8.8.8.8', '2607:fb90::1', '2601:1c0:4::9'])(
    '%s is ordinary public space',
    (ip) => {
      expect(specialRange(ip)).toBeUndefined();
    },
  );

  it('treats what is not an address as special (never blocked)', () => {
    expect(specialRange('evil.example')?.why).toBe('not an IP address');
  });
});
