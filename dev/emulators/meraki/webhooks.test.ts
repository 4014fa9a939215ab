import { afterEach, describe, expect, it } from 'vitest';

import { startMerakiEmulator, type MerakiEmulator } from './index';
import { DEMO_ORG_ID, demoState, HQ_APPLIANCE_SERIAL, HQ_NETWORK_ID } from './seed';
import { startReceiver, type Receiver } from './testing';
import type { WebhookAlert } from './types';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const DOCUMENTED_KEYS = [
  'version',
  'sharedSecret',
  'sentAt',
  'organizationId',
  'organizationName',
  'organizationUrl',
  'networkId',
  'networkName',
  'networkUrl',
  'networkTags',
  'deviceSerial',
  'deviceMac',
  'deviceName',
  'deviceUrl',
  'deviceTags',
  'deviceModel',
  'alertId',
  'alertType',
  'alertTypeId',
  'alertLevel',
  'occurredAt',
  'alertData',
];

let emulator: MerakiEmulator | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await emulator?.close();
  await receiver?.close();
  emulator = undefined;
  receiver = undefined;
});

async function setup(
  webhooks: Parameters<typeof startMerakiEmulator>[0] extends infer O
    ? O extends { webhooks?: infer W }
      ? W
      : never
    : never = {},
) {
  receiver = await startReceiver();
  emulator = await startMerakiEmulator({
    state: demoState({ now: NOW }),
    now: () => NOW,
    webhooks: { url: receiver.url, sharedSecret: 's3cret-shared', ...webhooks },
  });
  return { e: emulator, r: receiver };
}

describe('webhook sender', () => {
  it('POSTs the documented payload with the shared secret in the body', async () => {
    const { e, r } = await setup();
    const delivery = await e.webhooks.send({
      alertTypeId: 'failover_event',
      deviceSerial: HQ_APPLIANCE_SERIAL,
      occurredAt: '2026-03-01T11:59:30.250Z',
      alertData: { uplink: '0' },
    });
    expect(delivery.status).toBe(200);
    expect(r.received.length).toBe(1);
    const { headers, body } = r.received[0] ?? { headers: {}, body: {} };
    expect(headers['content-type']).toBe('application/json');
    const alert = body as WebhookAlert;
    expect(Object.keys(alert)).toEqual(DOCUMENTED_KEYS);
    expect(alert).toMatchObject({
      version: '0.1',
      sharedSecret: 's3cret-shared',
      sentAt: '2026-03-01T12:00:00.000000Z',
      organizationId: DEMO_ORG_ID,
      organizationName: 'Sentry Demo Org',
      networkId: HQ_NETWORK_ID,
      networkName: 'HQ',
      networkTags: ['hq'],
      deviceSerial: HQ_APPLIANCE_SERIAL,
      deviceName: 'HQ-MX',
      deviceModel: 'MX68CW-NA',
      alertType: 'Uplink status changed',
      alertTypeId: 'failover_event',
      alertLevel: 'warning',
      occurredAt: '2026-03-01T11:59:30.250000Z',
      alertData: { uplink: '0' },
    });
    expect(alert.deviceMac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(alert.alertId).toMatch(/^\d{18}$/);
  });

  it('fires failover_event and cellular_up when an appliance fails over to cellular', async () => {
    const { e, r } = await setup({ onUplinkChange: true });
    e.state.failover(HQ_APPLIANCE_SERIAL, { to: 'cellular', publicIp: '100.64.99.99', at: '2026-03-01T12:01:00Z' });
    await e.webhooks.idle();
    const alerts = r.received.map((x) => x.body as WebhookAlert);
    expect(alerts.map((a) => [a.alertTypeId, a.alertType])).toEqual([
      ['failover_event', 'Uplink status changed'],
      ['cellular_up', 'Cellular came up'],
    ]);
    expect(alerts[0]?.alertData).toEqual({ uplink: '2' });
    expect(alerts[1]?.alertData).toMatchObject({ provider: 'at&t', local: '100.64.12.7', connection: '4G' });
    expect(
      alerts.every((a) => a.occurredAt === '2026-03-01T12:01:00.000000Z' && a.sharedSecret === 's3cret-shared'),
    ).toBe(true);

    e.state.failover(HQ_APPLIANCE_SERIAL, { to: 'wan1', fromStatus: 'ready' });
    await e.webhooks.idle();
    expect(r.received.slice(2).map((x) => (x.body as WebhookAlert).alertTypeId)).toEqual([
      'failover_event',
      'cellular_down',
    ]);
  });

  it('stays quiet on uplink changes unless enabled, per call or globally', async () => {
    const { e, r } = await setup();
    e.state.failover(HQ_APPLIANCE_SERIAL, { to: 'wan2' });
    await e.webhooks.idle();
    expect(r.received.length).toBe(0);
    e.state.failover(HQ_APPLIANCE_SERIAL, { to: 'wan1', webhook: true });
    await e.webhooks.idle();
    expect(r.received.map((x) => (x.body as WebhookAlert).alertData)).toEqual([{ uplink: '0' }]);
  });

  it('takes alert type names and the uplink mapping from configuration', async () => {
    const { e, r } = await setup({
      onUplinkChange: true,
      alertTypes: { failover_event: { alertType: 'Appliance uplink changed', alertLevel: 'critical' } },
      uplinkIndex: { wan2: '1', cellular: 'cell' },
    });
    e.state.failover(HQ_APPLIANCE_SERIAL, { to: 'cellular' });
    await e.webhooks.idle();
    expect(r.received[0]?.body).toMatchObject({
      alertType: 'Appliance uplink changed',
      alertLevel: 'critical',
      alertData: { uplink: 'cell' },
    });
  });

  it('records an unreachable receiver without throwing, and retries when configured', async () => {
    const { e, r } = await setup({ retries: 2, retryDelayMs: 1 });
    r.statuses.push(500, 503);
    const delivery = await e.webhooks.send({ alertTypeId: 'settings_changed', networkId: HQ_NETWORK_ID });
    expect([delivery.status, delivery.attempts]).toEqual([200, 3]);
    expect((r.received[0]?.body as WebhookAlert).deviceSerial).toBe('');

    const down = await e.webhooks.send(
      { alertTypeId: 'settings_changed', networkId: HQ_NETWORK_ID },
      { url: 'http://127.0.0.1:9/' },
    );
    expect(down.status).toBeUndefined();
    expect(down.error).toBeDefined();
    expect(e.webhooks.deliveries.length).toBe(2);
  });

  it('sends from another process through the control route, with a per-alert secret', async () => {
    const { e, r } = await setup();
    const res = await fetch(`${e.origin}/_meraki/webhooks`, {
      method: 'POST',
      body: JSON.stringify({ alertTypeId: 'cellular_down', deviceSerial: HQ_APPLIANCE_SERIAL, sharedSecret: 'wrong' }),
    });
    expect(res.status).toBe(200);
    expect(r.received[0]?.body).toMatchObject({
      alertTypeId: 'cellular_down',
      alertType: 'Cellular went down',
      sharedSecret: 'wrong',
    });
    const unknown = await fetch(`${e.origin}/_meraki/webhooks`, {
      method: 'POST',
      body: JSON.stringify({ alertTypeId: 'x', deviceSerial: 'NOPE' }),
    });
    expect(unknown.status).toBe(400);
  });
});
