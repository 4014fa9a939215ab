/**
 * The organization's known egress addresses, in the `snapshots` table (partition `egress`, one row
 * per address): appliance uplink IPs the observer saw in Meraki data, and addresses the detections
 * learned are shared (an office NAT) or that an office moved to. Detections read them through their
 * evaluation context, so an office's NAT, or the carrier address every office user appears from
 * after a failover, is not "many users on one IP" nor "one user on many IPs".
 *
 * A save merges with what is stored (the strongest kind wins: uplink, then shared, then moved; users
 * are united, newest kept, at most `EGRESS_USERS`), so saves from a collector and an evaluation in
 * any order end the same. Facts older than `EGRESS_RETENTION_DAYS` are not read.
 */
import type { TableClient } from '@azure/data-tables';

import type { Config } from '../config';
import type { EgressFact } from '../detections/define';
import { mergeEgressFacts } from '../detections/egress';
import { asStateError, safeKey, stateTable, statusOf } from './tables';

export const EGRESS_RETENTION_DAYS = 30;
const PARTITION = 'egress';

export interface EgressStore {
  /** The facts seen within `EGRESS_RETENTION_DAYS` of `now` (Unix seconds). */
  list(now: number): Promise<EgressFact[]>;
  /** Merges facts into what is stored. */
  save(facts: readonly EgressFact[]): Promise<void>;
}

interface EgressEntity {
  partitionKey: string;
  rowKey: string;
  Ip: string;
  Kind: string;
  Users: string;
  LastSeen: number;
}

function decode(e: Partial<EgressEntity>): EgressFact | undefined {
  if (typeof e.Ip !== 'string' || (e.Kind !== 'uplink' && e.Kind !== 'shared' && e.Kind !== 'moved')) return undefined;
  let users: string[] = [];
  try {
    const parsed = JSON.parse(e.Users ?? '[]') as unknown;
    if (Array.isArray(parsed)) users = parsed.filter((u): u is string => typeof u === 'string');
  } catch {
    users = [];
  }
  return { ip: e.Ip, kind: e.Kind, users, lastSeen: e.LastSeen ?? 0 };
}

export class TableEgressStore implements EgressStore {
  constructor(private readonly config: Config) {}

  private table(): Promise<TableClient> {
    return stateTable(this.config, 'snapshots');
  }

  async list(now: number): Promise<EgressFact[]> {
    const table = await this.table();
    const since = now - EGRESS_RETENTION_DAYS * 86_400;
    const out: EgressFact[] = [];
    try {
      for await (const e of table.listEntities<Partial<EgressEntity>>({
        queryOptions: { filter: `PartitionKey eq '${PARTITION}' and LastSeen ge ${String(since)}` },
      })) {
        const fact = decode(e);
        if (fact !== undefined) out.push(fact);
      }
    } catch (error) {
      throw asStateError(error, 'reading the known egress addresses');
    }
    return out;
  }

  async save(facts: readonly EgressFact[]): Promise<void> {
    if (facts.length === 0) return;
    const table = await this.table();
    const byIp = new Map<string, EgressFact>();
    for (const f of facts) byIp.set(f.ip, mergeEgressFacts(byIp.get(f.ip), f));
    for (const fact of byIp.values()) {
      const rowKey = safeKey(fact.ip);
      for (let attempt = 1; ; attempt++) {
        let stored: (Partial<EgressEntity> & { etag: string }) | undefined;
        try {
          stored = await table.getEntity<Partial<EgressEntity>>(PARTITION, rowKey);
        } catch (error) {
          if (statusOf(error) !== 404) throw asStateError(error, `reading egress ${fact.ip}`);
        }
        const merged = mergeEgressFacts(stored === undefined ? undefined : decode(stored), fact);
        const entity: EgressEntity = {
          partitionKey: PARTITION,
          rowKey,
          Ip: fact.ip,
          Kind: merged.kind,
          Users: JSON.stringify(merged.users),
          LastSeen: merged.lastSeen,
        };
        try {
          if (stored === undefined) await table.createEntity(entity);
          else await table.updateEntity(entity, 'Replace', { etag: stored.etag });
          break;
        } catch (error) {
          const status = statusOf(error);
          if ((status !== 409 && status !== 412) || attempt >= 5) throw asStateError(error, `saving egress ${fact.ip}`);
        }
      }
    }
  }
}
