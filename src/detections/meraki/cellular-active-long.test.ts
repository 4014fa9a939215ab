import { describe, expect, it } from 'vitest';

import { Harness, raise, T0, uplinkRows, uplinks } from '../../../test/helpers/detection-testkit';
import { cellularActiveLong } from './cellular-active-long';

const SERIAL = 'Q2GY-EEEE-FFFF';
const cell = (t: number, status: string) =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status: status === 'active' ? 'failed' : 'active' },
    { interface: 'cellular', status },
  ]);
const polls = (from: number, minutes: number, status: string) =>
  Array.from({ length: Math.floor(minutes / 5) + 1 }, (_, i) => cell(from + i * 300, status)).flat();

describe('meraki.uplink.cellular-active-long', () => {
  it('raises once cellular has been active continuously for more than 4 hours', async () => {
    expect(cellularActiveLong.defaults).toMatchObject({ enabled: true, minutes: 240 });
    expect(await raise(cellularActiveLong, uplinks(polls(T0, 235, 'active')))).toEqual([]);
    const [f] = await raise(cellularActiveLong, uplinks(polls(T0, 245, 'active')));
    expect(f?.subject.id).toBe(SERIAL);
    expect(f?.title).toContain('on cellular for 4.1 h');
  });

  it('restarts the clock when cellular goes back to standby', async () => {
    const rows = [...polls(T0, 200, 'active'), ...cell(T0 + 12_300, 'ready'), ...polls(T0 + 12_600, 100, 'active')];
    expect(await raise(cellularActiveLong, uplinks(rows))).toEqual([]);
  });

  it('follows the configured duration and grows the open finding as polls continue', async () => {
    const harness = new Harness([cellularActiveLong.configure({ minutes: 30 })]);
    const [first] = await harness.run(uplinks(polls(T0, 35, 'active')));
    const [more] = await harness.run(uplinks(polls(T0 + 2_400, 20, 'active')));
    expect(first?.isNew).toBe(true);
    expect(more?.isNew).toBe(false);
    expect(more?.count).toBeGreaterThan(first?.count ?? Infinity);
  });
});
