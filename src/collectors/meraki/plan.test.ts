import { describe, expect, it } from 'vitest';

import {
  eventNetworks,
  planMerakiCycle,
  type MerakiNetworkRef,
  type MerakiPlanOptions,
  type MerakiPlanState,
  type PlannedCall,
} from './plan';

function networks(count: number, productTypes: string[] = ['appliance', 'wireless']): MerakiNetworkRef[] {
  return Array.from({ length: count }, (_, i) => ({ id: `L_${String(i).padStart(4, '0')}`, productTypes }));
}

interface Simulation {
  perCycle: PlannedCall[][];
  polls: Map<string, number[]>;
}

function simulate(cycles: number, nets: MerakiNetworkRef[], options: MerakiPlanOptions = {}): Simulation {
  let state: MerakiPlanState = {};
  const perCycle: PlannedCall[][] = [];
  const polls = new Map<string, number[]>();
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    const plan = planMerakiCycle(cycle, nets, state, options);
    expect(plan.requests).toBe(plan.calls.reduce((sum, call) => sum + call.maxPages, 0));
    perCycle.push([...plan.calls]);
    for (const call of plan.calls) {
      if (call.kind === 'networkEvents') polls.set(call.networkId, [...(polls.get(call.networkId) ?? []), cycle]);
    }
    state = plan.state;
  }
  return { perCycle, polls };
}

function gaps(cycles: number[]): number[] {
  return cycles.slice(1).map((cycle, i) => cycle - (cycles[i] ?? 0));
}

describe('planMerakiCycle', () => {
  it('fetches uplinks and security events every cycle, inventory first when never fetched, then the rest', () => {
    const nets = networks(3);
    const first = planMerakiCycle(0, [], {});
    // No security events before the first inventory: their rows take their network from it.
    expect(first.calls).toEqual([
      { kind: 'uplinkStatuses', maxPages: 1 },
      { kind: 'networks', maxPages: 1 },
      { kind: 'devices', maxPages: 1 },
    ]);
    const second = planMerakiCycle(1, nets, first.state);
    expect(second.calls).toEqual([
      { kind: 'uplinkStatuses', maxPages: 1 },
      { kind: 'securityEvents', maxPages: 1 },
      { kind: 'deviceStatuses', maxPages: 1 },
    ]);
    const third = planMerakiCycle(2, nets, second.state);
    expect(third.calls).toEqual([
      { kind: 'uplinkStatuses', maxPages: 1 },
      { kind: 'securityEvents', maxPages: 1 },
      { kind: 'networkEvents', networkId: 'L_0000', maxPages: 1 },
    ]);
    expect(third.state).toMatchObject({ networksAt: 0, devicesAt: 0, deviceStatusesAt: 1, eventsCursor: 'L_0000' });
  });

  it('fetches appliance device statuses every 3 cycles by default (or as configured), waiting out inventory cycles', () => {
    const statusCycles = (options: MerakiPlanOptions = {}) =>
      simulate(400, networks(5), options)
        .perCycle.map((calls, cycle) => (calls.some((call) => call.kind === 'deviceStatuses') ? cycle : -1))
        .filter((cycle) => cycle >= 0);
    const every3 = statusCycles();
    expect(every3.slice(0, 4)).toEqual([1, 4, 7, 10]);
    // Every 3rd cycle, one later when an inventory cycle (every 60) holds the slot.
    expect(new Set(gaps(every3))).toEqual(new Set([3, 4]));
    expect(gaps(every3).filter((gap) => gap === 4).length).toBeLessThanOrEqual(Math.ceil(400 / 60));
    expect(Math.max(...gaps(statusCycles({ deviceStatusesEveryCycles: 12 })))).toBeLessThanOrEqual(13);
    expect(Math.min(...gaps(statusCycles({ deviceStatusesEveryCycles: 12 })))).toBe(12);
    // Inventory cycles (networks then devices, every 60) take the slot first: statuses wait them out.
    const every2 = statusCycles({ deviceStatusesEveryCycles: 2 });
    expect(every2).toContain(59);
    expect(every2).not.toContain(60);
    expect(every2).not.toContain(61);
    expect(every2).toContain(62);
    expect(Math.max(...gaps(every2))).toBeLessThanOrEqual(4);
    const big = planMerakiCycle(20, networks(3), {
      networksAt: 0,
      devicesAt: 0,
      deviceStatusesAt: 10,
      deviceStatusPages: 3,
    });
    expect(big.calls).toEqual([
      { kind: 'uplinkStatuses', maxPages: 1 },
      { kind: 'securityEvents', maxPages: 1 },
      { kind: 'deviceStatuses', maxPages: 1 },
    ]);
  });

  it('over 2000 cycles stays within 3 requests per org per cycle, reads security events every cycle and polls every eligible network within 3N/2+3 cycles', () => {
    const appliances = networks(20);
    const cameras = networks(3, ['camera']).map((n) => ({ ...n, id: `C_${n.id}` }));
    const webhook = ['L_0003', 'L_0011', 'L_0019'];
    const { perCycle, polls } = simulate(2000, [...appliances, ...cameras], { webhookNetworks: webhook });

    const eligible = appliances.map((n) => n.id).filter((id) => !webhook.includes(id));
    perCycle.forEach((calls, cycle) => {
      expect(calls.reduce((sum, call) => sum + call.maxPages, 0)).toBeLessThanOrEqual(3);
      expect(calls[0]).toEqual({ kind: 'uplinkStatuses', maxPages: 1 });
      const security = calls.filter((call) => call.kind === 'securityEvents');
      expect(security).toEqual(cycle === 0 ? [] : [{ kind: 'securityEvents', maxPages: 1 }]);
    });
    expect([...polls.keys()].sort()).toEqual(eligible);
    // One spare slot per cycle, of which device statuses take every third: a network cannot come back
    // sooner than N cycles, nor later than the cycles N event slots need (3 per 2), plus the inventory
    // cycles (networks + devices, once per 60) in between.
    const slowest = Math.ceil((eligible.length * 3) / 2) + 3;
    for (const id of eligible) {
      const cycles = polls.get(id) ?? [];
      expect(cycles[0]).toBeLessThanOrEqual(3 + slowest);
      expect(Math.min(...gaps(cycles))).toBeGreaterThanOrEqual(eligible.length);
      expect(Math.max(...gaps(cycles))).toBeLessThanOrEqual(slowest);
      expect(2000 - (cycles.at(-1) ?? 0)).toBeLessThanOrEqual(slowest);
    }
    const count = (kind: PlannedCall['kind']) => perCycle.flat().filter((call) => call.kind === kind).length;
    expect(count('networks')).toBe(Math.ceil(2000 / 60));
    expect(count('devices')).toBe(Math.ceil(2000 / 60));
    expect(count('deviceStatuses')).toBeGreaterThanOrEqual(Math.floor(2000 / 4));
  });

  it('spreads a larger budget over several networks per cycle', () => {
    const nets = networks(10);
    const { perCycle, polls } = simulate(300, nets, { maxCallsPerCycle: 5 });
    for (const calls of perCycle) expect(calls.reduce((sum, call) => sum + call.maxPages, 0)).toBeLessThanOrEqual(5);
    for (const net of nets) {
      const g = gaps(polls.get(net.id) ?? []);
      expect(Math.max(...g)).toBeLessThanOrEqual(Math.ceil(10 / 3) + 1);
    }
    const eventsInCycle = perCycle.map((calls) => calls.filter((call) => call.kind === 'networkEvents').length);
    expect(Math.max(...eventsInCycle)).toBe(3);
  });

  it('never polls events when the whole org sends webhooks', () => {
    const { perCycle } = simulate(200, networks(5), { webhookNetworks: 'all' });
    expect(perCycle.flat().some((call) => call.kind === 'networkEvents')).toBe(false);
    expect(perCycle.slice(2).every((calls) => calls.length <= 3)).toBe(true);
    expect(perCycle[4]).toEqual([
      { kind: 'uplinkStatuses', maxPages: 1 },
      { kind: 'securityEvents', maxPages: 1 },
      { kind: 'deviceStatuses', maxPages: 1 },
    ]);
    expect(perCycle[5]).toEqual([
      { kind: 'uplinkStatuses', maxPages: 1 },
      { kind: 'securityEvents', maxPages: 1 },
    ]);
  });

  it('gives a large org its uplink pages first, capped at the budget', () => {
    const plan = planMerakiCycle(10, networks(3), { uplinkPages: 4, networksAt: 5, devicesAt: 5 });
    expect(plan.calls).toEqual([{ kind: 'uplinkStatuses', maxPages: 3 }]);
    expect(plan.requests).toBe(3);
  });

  it('keeps the rotation going when the last polled network disappears', () => {
    const nets = networks(4).filter((n) => n.id !== 'L_0001');
    const plan = planMerakiCycle(3, nets, { networksAt: 0, devicesAt: 1, deviceStatusesAt: 2, eventsCursor: 'L_0001' });
    expect(plan.calls[2]).toEqual({ kind: 'networkEvents', networkId: 'L_0002', maxPages: 1 });
    const wrap = planMerakiCycle(4, nets, { ...plan.state, eventsCursor: 'L_0003' });
    expect(wrap.calls[2]).toEqual({ kind: 'networkEvents', networkId: 'L_0000', maxPages: 1 });
  });

  it('honours a slower events cadence and a per-cycle network cap', () => {
    const { perCycle } = simulate(30, networks(6), {
      eventsEveryCycles: 3,
      maxCallsPerCycle: 5,
      maxEventNetworksPerCycle: 2,
    });
    perCycle.forEach((calls, cycle) => {
      const events = calls.filter((call) => call.kind === 'networkEvents').length;
      if (cycle % 3 !== 0) expect(events).toBe(0);
      expect(events).toBeLessThanOrEqual(2);
    });
    expect(perCycle[3]?.filter((call) => call.kind === 'networkEvents')).toHaveLength(2);
  });

  it('gives a security events backlog more pages, within the budget, and leaves them out when disabled', () => {
    const done = { networksAt: 0, devicesAt: 0, deviceStatusesAt: 9 };
    const behind = planMerakiCycle(10, networks(3), { ...done, securityEventPages: 5 }, { maxCallsPerCycle: 4 });
    expect(behind.calls).toEqual([
      { kind: 'uplinkStatuses', maxPages: 1 },
      { kind: 'securityEvents', maxPages: 3 },
    ]);
    expect(behind.requests).toBe(4);
    const off = planMerakiCycle(10, networks(3), done, { securityEvents: false });
    expect(off.calls.map((call) => call.kind)).toEqual(['uplinkStatuses', 'networkEvents', 'networkEvents']);
  });

  it('lets due inventory go first when only one slot is left after uplinks', () => {
    const tight = simulate(130, networks(3), { maxCallsPerCycle: 2 });
    const kinds = tight.perCycle.map((calls) => calls.map((call) => call.kind));
    expect(kinds[0]).toEqual(['uplinkStatuses', 'networks']);
    expect(kinds[1]).toEqual(['uplinkStatuses', 'devices']);
    expect(kinds[2]).toEqual(['uplinkStatuses', 'securityEvents']);
    expect(kinds.filter((k) => k.includes('securityEvents')).length).toBe(130 - 6);
  });

  it('keeps the default budget at or below 1 request/s per org at a 15 s poll', () => {
    const { perCycle } = simulate(240, networks(50));
    const requests = perCycle.map((calls) => calls.reduce((sum, call) => sum + call.maxPages, 0));
    expect(Math.max(...requests)).toBe(3);
    expect(Math.max(...requests) / 15).toBeLessThanOrEqual(1);
  });

  it('treats inventory as due again if the cycle counter restarts', () => {
    const plan = planMerakiCycle(0, networks(2), { networksAt: 500, devicesAt: 500 });
    expect(plan.calls.map((call) => call.kind)).toEqual(['uplinkStatuses', 'securityEvents', 'networks']);
  });
});

describe('eventNetworks', () => {
  it('keeps appliance networks not covered by webhooks, sorted', () => {
    const nets = [
      { id: 'b', productTypes: ['appliance'] },
      { id: 'a', productTypes: ['appliance', 'switch'] },
      { id: 'c', productTypes: ['wireless'] },
      { id: 'd', productTypes: ['appliance'] },
    ];
    expect(eventNetworks(nets, { webhookNetworks: ['d'] })).toEqual(['a', 'b']);
    expect(eventNetworks(nets, { eventsProductType: 'wireless' })).toEqual(['c']);
  });
});
