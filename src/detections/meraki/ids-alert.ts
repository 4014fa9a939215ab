/**
 * An MX security event a responder must see now: an IDS alert of high priority (Snort priority 1,
 * the most severe; docs/reference/meraki-api.md) that the appliance did not block, or a file scan
 * whose AMP disposition is malicious. One finding per attacker and network: an alert from an outside
 * (public) source names that address a suspect on the appliance's network, so "Block <ip> on
 * <network>" can be offered; an alert whose source is an inside or special-purpose address (lateral
 * movement, an infected client calling out) names no IP suspect, only its client and appliance.
 */
import { z } from 'zod';

import { specialRange } from '../../net/ip';
import type { MerakiSecurityRow } from '../../transforms/streams';
import { defineDetection, type Observation, type Subject } from '../define';
import { merakiSecurityNetwork, type Party } from '../entities';
import { smallFacts } from '../evidence';
import { seconds } from './common';

const IDS_ALERT = 'IDS Alert';
const FILE_SCANNED = 'File Scanned';

const config = {
  /** Repeats for the same key within this many minutes merge into one finding. */
  windowMinutes: z.number().int().min(1).max(1440).default(60),
  /** Alerts of this Snort priority or more severe (a lower number) fire; 1 is high. */
  maxPriority: z.number().int().min(1).max(4).default(1),
  /** Fire on alerts the appliance blocked too (prevention mode); off: a blocked attack needs no one. */
  includeBlocked: z.boolean().default(false),
  /** File scan dispositions that fire, compared case-insensitively. */
  maliciousDispositions: z.array(z.string()).default(['Malicious']),
  /** IDS signatures (`gid:sid:rev` or `gid:sid`) never to fire on. */
  ignoreSignatures: z.array(z.string()).default([]),
};

function outside(ip: string | undefined): ip is string {
  return ip !== undefined && ip !== '' && specialRange(ip) === undefined;
}

function ignored(signature: string | undefined, list: readonly string[]): boolean {
  if (signature === undefined) return false;
  const gidSid = signature.split(':').slice(0, 2).join(':');
  return list.includes(signature) || list.includes(gidSid);
}

/** What the event says happened, in a few words (the finding's evidence label). */
function labelOf(row: MerakiSecurityRow): string {
  if (row.EventType === FILE_SCANNED) {
    return `${row.Disposition ?? 'malicious'} file ${row.CanonicalName ?? row.FileHash ?? ''}`.trim();
  }
  return `P${String(row.Priority ?? '?')} ${row.Message ?? row.Signature ?? 'IDS alert'}`;
}

function facts(row: MerakiSecurityRow): Record<string, string> {
  return smallFacts({
    eventType: row.EventType,
    networkId: row.NetworkId,
    networkName: row.NetworkName,
    srcIp: row.SrcIp,
    destIp: row.DestIp,
    destPort: row.DestPort,
    protocol: row.Protocol,
    signature: row.Signature,
    message: row.Message,
    priority: row.Priority,
    blocked: row.Blocked,
    fileHash: row.FileHash,
    disposition: row.Disposition,
    action: row.Action,
    uri: row.Uri,
  });
}

export const merakiIdsAlert = defineDetection({
  id: 'meraki.security.ids-alert',
  title: 'Meraki IDS alert or malicious file',
  description:
    'The MX intrusion detection raised a high-priority alert it did not block, or its file scanning (AMP) found a malicious download: an outside attacker is probing or exploiting the site, or a client fetched malware.',
  severity: 'high',
  mitre: ['TA0001:T1190', 'TA0002:T1204.002'],
  streams: ['merakiSecurity'],
  entities: { sourceIp: 'suspect', client: 'victim', device: 'context' },
  config,
  match(input, c) {
    if (input.stream !== 'merakiSecurity') return null;
    const row = input.row;
    if (row.EventType === IDS_ALERT) {
      if (row.Priority === undefined || row.Priority > c.maxPriority) return null;
      if (row.Blocked === true && !c.includeBlocked) return null;
      if (ignored(row.Signature, c.ignoreSignatures)) return null;
    } else if (row.EventType === FILE_SCANNED) {
      const disposition = row.Disposition?.toLowerCase();
      if (disposition === undefined || !c.maliciousDispositions.some((d) => d.toLowerCase() === disposition))
        return null;
    } else return null;

    const network = merakiSecurityNetwork(row);
    const where = row.NetworkId ?? row.SourceOrg;
    const parties: Party[] = [];
    const device = row.DeviceSerial ?? row.DeviceMac;
    if (device !== undefined) parties.push({ role: 'device', id: device, name: row.DeviceName, network });
    if (row.ClientMac !== undefined) parties.push({ role: 'client', id: row.ClientMac, name: row.ClientName, network });

    // Only an outside source is an attacker Sentry may offer to block; an inside one stays in the facts.
    const attacker = row.EventType === IDS_ALERT && outside(row.SrcIp) ? row.SrcIp : undefined;
    let subject: Subject;
    let dedupeKey: string;
    if (attacker !== undefined) {
      parties.push({ role: 'sourceIp', id: attacker, network });
      subject = { type: 'ip', id: attacker };
      dedupeKey = `ip:${where}:${attacker}`;
    } else if (row.ClientMac !== undefined) {
      subject =
        row.ClientName === undefined
          ? { type: 'device', id: row.ClientMac }
          : { type: 'device', id: row.ClientMac, name: row.ClientName };
      dedupeKey = `client:${where}:${row.ClientMac}`;
    } else if (device !== undefined) {
      subject =
        row.DeviceName === undefined
          ? { type: 'device', id: device }
          : { type: 'device', id: device, name: row.DeviceName };
      dedupeKey = `device:${where}:${device}`;
    } else return null;

    const observation: Observation = {
      dedupeKey,
      subject,
      item: row.EventId,
      t: seconds(row.TimeGenerated),
      label: labelOf(row),
      facts: facts(row),
      parties,
    };
    return observation;
  },
  window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    const where = window.facts.networkName ?? window.facts.networkId;
    const file = window.facts.eventType === FILE_SCANNED;
    const what = file ? 'Malicious file' : 'IDS alert';
    const who = window.subject.name ?? window.subject.id;
    const labels = [...new Set(crossing.items.map((i) => i.label ?? ''))].filter((l) => l !== '');
    return {
      title: `${what} ${file ? 'for' : 'from'} ${who}${where === undefined ? '' : ` on ${where}`}`,
      why: file
        ? `The appliance's file scan found a ${window.facts.disposition ?? 'malicious'} file (${window.facts.action ?? 'no action reported'}).`
        : `A priority ${window.facts.priority ?? '?'} IDS alert${window.facts.blocked === 'true' ? ' (blocked)' : ' the appliance did not block'}${window.subject.type === 'ip' ? `, from the outside address ${window.subject.id}` : ', from an inside address'}.`,
      evidence: { alerts: labels.slice(0, 10) },
    };
  },
});
