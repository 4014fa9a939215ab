/**
 * Pure per-organization call planner for one Meraki poll cycle. Meraki's 10 req/s budget is shared
 * by every tool of the org, and past connectors were notorious for runaway calls, so a cycle makes at
 * most `maxCallsPerCycle` requests per org (default 3), spent in this order:
 * 1. appliance uplink statuses, every cycle (one org-wide request covers 1000 appliances);
 * 2. appliance security events (IDS alerts, file scans: one org-wide, time-windowed request for up to
 *    1000 events), every cycle once the device inventory has been read (their rows take their network
 *    from it), with more pages when the last window did not fit; with a single slot left they yield
 *    to due inventory;
 * 3. inventory (network list, then devices) when its slower cadence is due (every 60 cycles);
 * 4. appliance device statuses (`/devices/statuses`: online/offline, public IP, last report; the
 *    inventory listing carries no status, docs/reference/meraki-api.md) every
 *    `deviceStatusesEveryCycles` cycles, one request for up to 1000 appliances. The default is 3; the
 *    collector derives it from the poll interval so that they come about every 3 minutes (every 3rd
 *    cycle at the default 60 s poll, every 12th at 15 s). Falling on a cycle with no slot left, they
 *    wait for the next cycle;
 * 5. appliance event logs, round-robin over eligible networks with whatever is left, skipping
 *    networks (or whole orgs) whose changes already arrive by webhook.
 * With the default budget, uplinks and security events take two slots and the third goes to
 * inventory, else statuses, else events: events keep two cycles in three at a 60 s poll, eleven in twelve at 15 s. 3 requests per cycle are
 * 0.05 requests/s per org at the default 60 s poll (0.2 at 15 s), far below the 1 request/s average
 * Sentry allows itself (a tenth of Meraki's 10/s).
 * The returned state assumes the calls succeed: persist it with the cycle's results, not before.
 * A network whose events call failed simply waits for its next turn (its events checkpoint is
 * time-based, so nothing is lost, only delayed).
 */

export interface MerakiNetworkRef {
  readonly id: string;
  readonly productTypes: readonly string[];
  /** The network's name, when the listing gave one (shown on alerts and response buttons). */
  readonly name?: string;
}

/** Planner memory for one org (persisted with the org's Meraki state). */
export interface MerakiPlanState {
  /** Cycle at which the network list / device inventory was last fetched; absent = never. */
  readonly networksAt?: number;
  readonly devicesAt?: number;
  /** Cycle at which appliance device statuses were last fetched; absent = never. */
  readonly deviceStatusesAt?: number;
  /** Id of the network whose events were polled last (round-robin position; survives network adds/removals). */
  readonly eventsCursor?: string;
  /** Pages the last uplink-status / device listing needed (1 unless the org is large). */
  readonly uplinkPages?: number;
  readonly devicePages?: number;
  readonly deviceStatusPages?: number;
  /** Pages the last security events window needed (1 unless it was behind). */
  readonly securityEventPages?: number;
}

export interface MerakiPlanOptions {
  /** Hard ceiling on requests per org per cycle (default 3). */
  maxCallsPerCycle?: number;
  /** Read the org's appliance security events (default true). */
  securityEvents?: boolean;
  /** Events run only on cycles divisible by this (default 1 = every cycle with budget left). */
  eventsEveryCycles?: number;
  /** At most this many networks' events per cycle (default: all remaining budget). */
  maxEventNetworksPerCycle?: number;
  networksEveryCycles?: number;
  devicesEveryCycles?: number;
  /** Appliance device statuses run on cycles this far apart (default 3). */
  deviceStatusesEveryCycles?: number;
  /** Product type whose event log is read (default 'appliance'). */
  eventsProductType?: string;
  /** Networks whose events arrive by webhook, or 'all' when the whole org sends webhooks. */
  webhookNetworks?: readonly string[] | 'all';
}

export type PlannedCall =
  | { readonly kind: 'uplinkStatuses'; readonly maxPages: number }
  | { readonly kind: 'networks'; readonly maxPages: number }
  | { readonly kind: 'devices'; readonly maxPages: number }
  | { readonly kind: 'deviceStatuses'; readonly maxPages: number }
  | { readonly kind: 'securityEvents'; readonly maxPages: number }
  | { readonly kind: 'networkEvents'; readonly networkId: string; readonly maxPages: 1 };

export interface MerakiCyclePlan {
  readonly calls: readonly PlannedCall[];
  /** Upper bound of HTTP requests the calls make (sum of maxPages), ≤ maxCallsPerCycle. */
  readonly requests: number;
  readonly state: MerakiPlanState;
}

export const MERAKI_PLAN_DEFAULTS = {
  maxCallsPerCycle: 3,
  eventsEveryCycles: 1,
  networksEveryCycles: 60,
  devicesEveryCycles: 60,
  deviceStatusesEveryCycles: 3,
  eventsProductType: 'appliance',
} as const;

/** The calls to make for one org in cycle `cycle`, and the planner state to persist after them. */
export function planMerakiCycle(
  cycle: number,
  networks: readonly MerakiNetworkRef[],
  state: MerakiPlanState,
  options: MerakiPlanOptions = {},
): MerakiCyclePlan {
  const budget = Math.max(1, Math.floor(options.maxCallsPerCycle ?? MERAKI_PLAN_DEFAULTS.maxCallsPerCycle));
  const calls: PlannedCall[] = [];
  let remaining = budget;
  let next: MerakiPlanState = { ...state };

  const uplinkPages = clampPages(state.uplinkPages, remaining);
  calls.push({ kind: 'uplinkStatuses', maxPages: uplinkPages });
  remaining -= uplinkPages;

  const networksEvery = options.networksEveryCycles ?? MERAKI_PLAN_DEFAULTS.networksEveryCycles;
  const devicesEvery = options.devicesEveryCycles ?? MERAKI_PLAN_DEFAULTS.devicesEveryCycles;
  const inventoryDue = isDue(cycle, state.networksAt, networksEvery) || isDue(cycle, state.devicesAt, devicesEvery);
  // Security events rows take their network from the device inventory: none before the first one,
  // and with a single slot left, due inventory goes first.
  if (
    remaining > 0 &&
    (options.securityEvents ?? true) &&
    state.devicesAt !== undefined &&
    !(remaining === 1 && inventoryDue)
  ) {
    const pages = clampPages(state.securityEventPages, remaining);
    calls.push({ kind: 'securityEvents', maxPages: pages });
    remaining -= pages;
  }
  if (
    remaining > 0 &&
    isDue(cycle, state.networksAt, options.networksEveryCycles ?? MERAKI_PLAN_DEFAULTS.networksEveryCycles)
  ) {
    calls.push({ kind: 'networks', maxPages: 1 });
    remaining -= 1;
    next = { ...next, networksAt: cycle };
  }
  if (
    remaining > 0 &&
    isDue(cycle, state.devicesAt, options.devicesEveryCycles ?? MERAKI_PLAN_DEFAULTS.devicesEveryCycles)
  ) {
    const pages = clampPages(state.devicePages, remaining);
    calls.push({ kind: 'devices', maxPages: pages });
    remaining -= pages;
    next = { ...next, devicesAt: cycle };
  }
  if (
    remaining > 0 &&
    isDue(
      cycle,
      state.deviceStatusesAt,
      options.deviceStatusesEveryCycles ?? MERAKI_PLAN_DEFAULTS.deviceStatusesEveryCycles,
    )
  ) {
    const pages = clampPages(state.deviceStatusPages, remaining);
    calls.push({ kind: 'deviceStatuses', maxPages: pages });
    remaining -= pages;
    next = { ...next, deviceStatusesAt: cycle };
  }

  const everyEvents = Math.max(1, Math.floor(options.eventsEveryCycles ?? MERAKI_PLAN_DEFAULTS.eventsEveryCycles));
  if (remaining > 0 && cycle % everyEvents === 0) {
    const eligible = eventNetworks(networks, options);
    const slots = Math.min(remaining, options.maxEventNetworksPerCycle ?? remaining, eligible.length);
    if (slots > 0) {
      const start = startAfter(eligible, state.eventsCursor);
      for (let i = 0; i < slots; i += 1) {
        const networkId = eligible[(start + i) % eligible.length];
        if (networkId === undefined) break;
        calls.push({ kind: 'networkEvents', networkId, maxPages: 1 });
        next = { ...next, eventsCursor: networkId };
      }
      remaining -= slots;
    }
  }

  return { calls, requests: budget - remaining, state: next };
}

/** Networks whose event log this planner polls, in rotation order (sorted by id). */
export function eventNetworks(networks: readonly MerakiNetworkRef[], options: MerakiPlanOptions = {}): string[] {
  if (options.webhookNetworks === 'all') return [];
  const productType = options.eventsProductType ?? MERAKI_PLAN_DEFAULTS.eventsProductType;
  const viaWebhook = new Set(options.webhookNetworks ?? []);
  return [
    ...new Set(networks.filter((n) => n.productTypes.includes(productType) && !viaWebhook.has(n.id)).map((n) => n.id)),
  ].sort();
}

function isDue(cycle: number, lastAt: number | undefined, every: number): boolean {
  return lastAt === undefined || cycle - lastAt >= Math.max(1, every) || cycle < lastAt;
}

function clampPages(pages: number | undefined, remaining: number): number {
  return Math.max(1, Math.min(remaining, Math.floor(pages ?? 1)));
}

/** Index of the first network after `cursor` in sorted order (wrapping), so removals do not reset the rotation. */
function startAfter(sortedIds: readonly string[], cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const index = sortedIds.findIndex((id) => id > cursor);
  return index === -1 ? 0 : index;
}
