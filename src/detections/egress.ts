/**
 * Pure helpers about addresses the detections share: merging egress facts (the strongest kind wins,
 * users united and bounded), and the network an address belongs to for counting "places" a user
 * acts from (an IPv4 /24, an IPv6 /64: a home's privacy addresses rotate daily inside one /64, and a
 * DHCP renewal usually stays in the ISP's /24).
 */
import { parseIp } from '../net/ip';
import { EGRESS_USERS, type EgressFact } from './define';

const RANK: Readonly<Record<EgressFact['kind'], number>> = { uplink: 3, shared: 2, moved: 1 };

/** Two facts about one address as one. */
export function mergeEgressFacts(a: EgressFact | undefined, b: EgressFact): EgressFact {
  if (a === undefined) return { ...b, users: [...new Set(b.users)].slice(0, EGRESS_USERS) };
  const kind = RANK[b.kind] > RANK[a.kind] ? b.kind : a.kind;
  const [older, newer] = a.lastSeen <= b.lastSeen ? [a, b] : [b, a];
  const users = [...new Set([...newer.users, ...older.users])].slice(0, EGRESS_USERS).sort();
  return { ip: a.ip, kind, users, lastSeen: Math.max(a.lastSeen, b.lastSeen) };
}

/** `203.0.113.0/24` for an IPv4 address, `2001:db8:1:2::/64` for IPv6, the text itself otherwise. */
export function networkOf(ip: string): string {
  const parsed = parseIp(ip);
  if (parsed === undefined) return ip;
  if (parsed.version === 4) {
    const v = parsed.value;
    return `${String(v >>> 24)}.${String((v >>> 16) & 255)}.${String((v >>> 8) & 255)}.0/24`;
  }
  const groups: string[] = [];
  for (let shift = 112n; shift >= 64n; shift -= 16n) groups.push(((parsed.value >> shift) & 0xffffn).toString(16));
  return `${groups.join(':')}::/64`;
}
