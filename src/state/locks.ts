/**
 * Single-flight leases in the `checkpoints` table (partition `locks`): a lease names the orchestration
 * instance that holds it. A new holder takes the lease only when the named holder is no longer alive
 * (asked of Durable by the caller) and the lease is older than a short grace (the time its holder
 * needs to start the orchestration it names), and the write is ETag-guarded, so of two requests
 * racing for a free lease exactly one wins and the other learns the winner's name.
 */
import type { Config } from '../config';
import { asStateError, stateTable, statusOf } from './tables';

export type LeaseResult = { taken: true } | { taken: false; holder: string };

export interface Lease {
  /** Takes the lease for `instanceId` unless a live holder has it. */
  take(instanceId: string, isAlive: (holder: string) => Promise<boolean>): Promise<LeaseResult>;
}

const PARTITION = 'locks';
const MAX_ATTEMPTS = 5;
/** A lease this fresh counts as held even before Durable knows its instance. */
export const LEASE_GRACE_MS = 60_000;

export class TableLease implements Lease {
  constructor(
    private readonly config: Config,
    private readonly name: string,
    private readonly now: () => number = Date.now,
  ) {}

  async take(instanceId: string, isAlive: (holder: string) => Promise<boolean>): Promise<LeaseResult> {
    const table = await stateTable(this.config, 'checkpoints');
    for (let attempt = 1; ; attempt++) {
      let current: { holder: string; etag: string; takenAt: number } | undefined;
      try {
        const e = await table.getEntity<{ Holder?: string; TakenAt?: string }>(PARTITION, this.name);
        current = {
          holder: typeof e.Holder === 'string' ? e.Holder : '',
          etag: e.etag,
          takenAt: typeof e.TakenAt === 'string' ? Date.parse(e.TakenAt) : 0,
        };
      } catch (error) {
        if (statusOf(error) !== 404) throw asStateError(error, `reading the ${this.name} lease`);
      }
      if (
        current !== undefined &&
        current.holder !== '' &&
        current.holder !== instanceId &&
        (this.now() - current.takenAt < LEASE_GRACE_MS || (await isAlive(current.holder)))
      )
        return { taken: false, holder: current.holder };
      const entity = {
        partitionKey: PARTITION,
        rowKey: this.name,
        Holder: instanceId,
        TakenAt: new Date(this.now()).toISOString(),
      };
      try {
        if (current === undefined) await table.createEntity(entity);
        else await table.updateEntity(entity, 'Replace', { etag: current.etag });
        return { taken: true };
      } catch (error) {
        const status = statusOf(error);
        if ((status !== 409 && status !== 412) || attempt >= MAX_ATTEMPTS)
          throw asStateError(error, `taking the ${this.name} lease`);
      }
    }
  }
}
