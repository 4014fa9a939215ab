import { describe, expect, it } from 'vitest';

import { raise, T0, uplinkRows, uplinks } from '../../../test/helpers/detection-testkit';
import { uplinkFlapping } from './uplink-flapping';

const SERIAL = 'Q2KY-GGGG-HHHH';
const wan1 = (t: number, status: string) =>
  uplinkRows(SERIAL, t, [
    { interface: 'wan1', status },
    { interface: 'wan2', status: 'ready' },
  ]);
/** `changes` status changes of wan1, one poll every `step` seconds. */
const flaps = (changes: number, step = 300) =>
  Array.from({ length: changes + 1 }, (_, i) => wan1(T0 + i * step, i % 2 === 0 ? 'active' : 'failed')).flat();

describe('meraki.uplink.flapping', () => {
  it('raises nothing at 4 changes within the hour and a finding at 5', async () => {
    expect(uplinkFlapping.defaults).toMatchObject({ enabled: true, threshold: 4, windowMinutes: 60 });
    expect(await raise(uplinkFlapping, uplinks(flaps(4)))).toEqual([]);
    const [f] = await raise(uplinkFlapping, uplinks(flaps(5)));
    expect(f?.count).toBe(5);
    expect(f?.title).toContain('wan1 changed status 5 times');
  });

  it('needs the changes inside the window, and follows overrides', async () => {
    expect(await raise(uplinkFlapping, uplinks(flaps(5, 900)))).toEqual([]);
    expect(await raise(uplinkFlapping, uplinks(flaps(3)), { threshold: 2 })).toHaveLength(1);
  });

  it('ignores a steady uplink polled often', async () => {
    expect(
      await raise(uplinkFlapping, uplinks(Array.from({ length: 60 }, (_, i) => wan1(T0 + i * 60, 'active')).flat())),
    ).toEqual([]);
  });
});
