/**
 * The detections' memory beyond their windows, on Azurite: data coverage only moves back, and known
 * egress addresses merge (strongest kind, united users, newest time) whatever order saves come in.
 */
import { describe, expect, it } from 'vitest';

import { useTestAzurite } from '../../test/helpers/state';
import { TableCoverageStore } from './coverage';
import { EGRESS_RETENTION_DAYS, TableEgressStore } from './egress';

const T0 = 1_767_225_600;

describe('on Azurite', () => {
  const azurite = useTestAzurite();

  it('coverage keeps the oldest time per stream, also under concurrent extends', async () => {
    const store = new TableCoverageStore(azurite.config);
    await store.extend('slackAudit', T0);
    await store.extend('slackAudit', T0 + 500);
    await Promise.all([T0 - 30, T0 - 10, T0 - 20, T0 - 5].map((t) => store.extend('slackAudit', t)));
    await store.extend('merakiDevice', T0 + 7);
    expect(await store.read()).toEqual(
      new Map([
        ['slackAudit', T0 - 30],
        ['merakiDevice', T0 + 7],
      ]),
    );
  }, 60_000);

  it('egress facts merge across saves and old ones are not read', async () => {
    const store = new TableEgressStore(azurite.config);
    await store.save([{ ip: '198.51.100.7', kind: 'shared', users: ['U1', 'U2'], lastSeen: T0 }]);
    await Promise.all([
      store.save([{ ip: '198.51.100.7', kind: 'uplink', users: [], lastSeen: T0 - 60 }]),
      store.save([{ ip: '198.51.100.7', kind: 'moved', users: ['U3'], lastSeen: T0 + 60 }]),
      store.save([
        { ip: '2001:db8::1', kind: 'moved', users: ['U9'], lastSeen: T0 - (EGRESS_RETENTION_DAYS + 1) * 86_400 },
      ]),
    ]);
    const facts = await store.list(T0 + 120);
    expect(facts).toHaveLength(1);
    expect(facts[0]).toMatchObject({ ip: '198.51.100.7', kind: 'uplink', lastSeen: T0 + 60 });
    expect([...(facts[0]?.users ?? [])].sort()).toEqual(['U1', 'U2', 'U3']);
  }, 60_000);
});
