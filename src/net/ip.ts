/**
 * IP address parsing and the special-purpose ranges no response action may block: private, loopback,
 * link-local, shared (CGNAT), multicast, documentation, benchmarking and reserved space, as listed in
 * the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its updates; docs/guardrails.md
 * lists them). Blocking one of these either does nothing (it never reaches the internet) or cuts an
 * office off from its own network. IPv4-mapped and 6to4/NAT64 IPv6 forms are judged by the IPv4
 * address they carry. Pure.
 */

export type ParsedIp = { version: 4; value: number } | { version: 6; value: bigint };

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const v = Number(part);
    if (v > 255 || (part.length > 1 && part.startsWith('0'))) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function parseIpv6(text: string): bigint | undefined {
  let input = text.toLowerCase();
  const zone = input.indexOf('%');
  if (zone >= 0) input = input.slice(0, zone);
  if (!/^[0-9a-f:.]+$/.test(input) || input.split('::').length > 2) return undefined;
  // A trailing dotted quad (::ffff:1.2.3.4) is two groups.
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(input);
  if (dotted !== null) {
    const v4 = parseIpv4(dotted[2] ?? '');
    if (v4 === undefined) return undefined;
    input = `${dotted[1] ?? ''}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = input.split('::');
  const head = halves[0] ?? '';
  const tail = halves.length === 2 ? (halves[1] ?? '') : undefined;
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 1)) return undefined;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

export function parseIp(text: string): ParsedIp | undefined {
  const v4 = parseIpv4(text.trim());
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text.trim()) : undefined;
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

interface Cidr {
  version: 4 | 6;
  base: bigint;
  bits: number;
}

function toBig(ip: ParsedIp): bigint {
  return ip.version === 4 ? BigInt(ip.value) : ip.value;
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (ip === undefined) return undefined;
  const max = ip.version === 4 ? 32 : 128;
  const bits = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined;
  return { version: ip.version, base: toBig(ip), bits };
}

export function inCidr(ip: ParsedIp, cidr: Cidr): boolean {
  if (ip.version !== cidr.version) return false;
  const width = BigInt(ip.version === 4 ? 32 : 128);
  const shift = width - BigInt(cidr.bits);
  return toBig(ip) >> shift === cidr.base >> shift;
}

/** Whether an address falls in any of the given CIDRs or addresses (invalid entries never match). */
export function ipInList(ip: string, list: readonly string[]): boolean {
  const parsed = parseIp(ip);
  if (parsed === undefined) return false;
  return list.some((entry) => {
    const cidr = parseCidr(entry);
    return cidr !== undefined && inCidr(parsed, cidr);
  });
}

const SPECIAL: readonly [string, string][] = [
  ['0.0.0.0/8', '"this network" (RFC 791)'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'shared carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback (RFC 1122)'],
  ['169.254.0.0/16', 'link-local (RFC 3927)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.0/24', 'documentation TEST-NET-1 (RFC 5737)'],
  ['192.88.99.0/24', 'reserved, former 6to4 relay anycast (RFC 7526)'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking (RFC 2544)'],
  ['198.51.100.0/24', 'documentation TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0/24', 'documentation TEST-NET-3 (RFC 5737)'],
  ['224.0.0.0/4', 'multicast (RFC 5771)'],
  ['240.0.0.0/4', 'reserved (RFC 1112), including the broadcast address'],
  ['::/128', 'unspecified (RFC 4291)'],
  ['::1/128', 'loopback (RFC 4291)'],
  ['100::/64', 'discard-only (RFC 6666)'],
  ['2001:db8::/32', 'documentation (RFC 3849)'],
  ['2001::/23', 'IETF protocol assignments (RFC 2928)'],
  ['fc00::/7', 'unique local, private (RFC 4193)'],
  ['fe80::/10', 'link-local (RFC 4291)'],
  ['ff00::/8', 'multicast (RFC 4291)'],
];
const SPECIAL_CIDRS = SPECIAL.map(([text, why]) => {
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new Error(`special range ${text} does not parse`);
  return { cidr, cidrText: text, why };
});

/** IPv4 carried inside an IPv6 address: IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96), 6to4 (2002::/16). */
function embeddedIpv4(value: bigint): number | undefined {
  if (value >> 32n === 0xffffn || value >> 32n === 0x64ff9b0000000000000000n) return Number(value & 0xffffffffn);
  if (value >> 112n === 0x2002n) return Number((value >> 80n) & 0xffffffffn);
  return undefined;
}

/** Why an address must never be blocked (its special-purpose range), or undefined for ordinary space. */
export function specialRange(ip: string): { range: string; why: string } | undefined {
  const parsed = parseIp(ip);
  if (parsed === undefined) return { range: ip, why: 'not an IP address' };
  if (parsed.version === 6) {
    const inner = embeddedIpv4(parsed.value);
    if (inner !== undefined) {
      const dotted = [24, 16, 8, 0].map((s) => (inner >>> s) & 255).join('.');
      const carried = specialRange(dotted);
      if (carried !== undefined) return { range: carried.range, why: `${carried.why}, carried in ${ip}` };
    }
  }
  const hit = SPECIAL_CIDRS.find((s) => inCidr(parsed, s.cidr));
  return hit === undefined ? undefined : { range: hit.cidrText, why: hit.why };
}
