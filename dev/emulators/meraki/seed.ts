/**
 * A small ready-made world for tests and the local stack: one organization with a combined HQ
 * network (MX with wan1/wan2/cellular, a switch, APs) and appliance-only branches, plus a second
 * organization the demo key cannot reach. Scenario generators build their own with the same calls.
 */
import { DEFAULT_EVENT_TYPES } from './builders';
import { MerakiState } from './state';
import type { MerakiStateData, Uplink } from './types';

export const DEMO_ORG_ID = '549236';
export const OTHER_ORG_ID = '681155';
export const DEMO_KEY = 'demo-meraki-key-549236';
export const OTHER_KEY = 'demo-meraki-key-681155';
export const ALL_ORGS_KEY = 'demo-meraki-key-all';
export const HQ_NETWORK_ID = 'L_549236000000000001';
export const HQ_APPLIANCE_SERIAL = 'Q2HQ-MX00-0001';

export function wanUplink(
  name: 'wan1' | 'wan2',
  status: Uplink['status'],
  publicIp: string | null,
  ip: string | null = '192.168.0.2',
): Uplink {
  const up = status === 'active' || status === 'ready';
  return {
    interface: name,
    status,
    ip: up ? ip : null,
    gateway: up ? '192.168.0.1' : null,
    publicIp: up ? publicIp : null,
    primaryDns: up ? '8.8.8.8' : null,
    secondaryDns: up ? '8.8.4.4' : null,
    ipAssignedBy: 'dhcp',
  };
}

export function cellularUplink(
  status: Uplink['status'],
  publicIp: string | null,
  iccid = '89011703278101234567',
): Uplink {
  return {
    interface: 'cellular',
    status,
    ip: '100.64.12.7',
    provider: 'at&t',
    publicIp,
    model: 'integrated',
    signalStat: { rsrp: '-95', rsrq: '-9' },
    connectionType: '4g',
    apn: 'broadband',
    gateway: '100.64.12.1',
    dns1: '1.1.1.1',
    dns2: '1.0.0.1',
    signalType: '4G',
    iccid,
  };
}

/** The demo world as of `now` (events fall in the hour before it). */
export function demoState(options: { now?: number; branches?: number } = {}): MerakiStateData {
  const now = options.now ?? Date.now();
  const branches = options.branches ?? 4;
  const s = new MerakiState({}, () => now);
  s.addOrganization({ id: DEMO_ORG_ID, name: 'Sentry Demo Org' });
  s.addOrganization({ id: OTHER_ORG_ID, name: 'Other Org' });
  s.addApiKey(DEMO_KEY, [DEMO_ORG_ID], 'demo org admin');
  s.addApiKey(OTHER_KEY, [OTHER_ORG_ID], 'other org admin');
  s.addApiKey(ALL_ORGS_KEY, '*', 'MSP admin');
  s.data.eventTypes = structuredClone(DEFAULT_EVENT_TYPES);

  s.addNetwork({
    id: HQ_NETWORK_ID,
    organizationId: DEMO_ORG_ID,
    name: 'HQ',
    productTypes: ['appliance', 'switch', 'wireless'],
    tags: ['hq'],
  });
  s.addDevice(
    {
      serial: HQ_APPLIANCE_SERIAL,
      model: 'MX68CW-NA',
      productType: 'appliance',
      networkId: HQ_NETWORK_ID,
      name: 'HQ-MX',
      lanIp: null,
    },
    {
      uplinks: [
        wanUplink('wan1', 'active', '198.51.100.10', '192.168.0.2'),
        wanUplink('wan2', 'ready', '203.0.113.20', '192.168.1.2'),
        cellularUplink('ready', '100.64.200.1'),
      ],
    },
  );
  s.addDevice({
    serial: 'Q2HQ-MS00-0001',
    model: 'MS120-8',
    productType: 'switch',
    networkId: HQ_NETWORK_ID,
    name: 'HQ-SW',
    lanIp: '10.0.0.2',
  });
  s.addDevice({
    serial: 'Q2HQ-MR00-0001',
    model: 'MR46',
    productType: 'wireless',
    networkId: HQ_NETWORK_ID,
    name: 'HQ-AP-1',
    lanIp: '10.0.0.11',
  });
  s.addDevice({
    serial: 'Q2HQ-MR00-0002',
    model: 'MR46',
    productType: 'wireless',
    networkId: HQ_NETWORK_ID,
    name: 'HQ-AP-2',
    lanIp: '10.0.0.12',
  });

  s.setFirewall(HQ_NETWORK_ID, {
    rules: [
      {
        comment: 'Block guest VLAN to corp',
        policy: 'deny',
        protocol: 'any',
        srcPort: 'Any',
        srcCidr: '10.20.0.0/16',
        destPort: 'Any',
        destCidr: '10.0.0.0/16',
        syslogEnabled: true,
      },
    ],
    syslogDefaultRule: false,
  });
  s.addGroupPolicy(HQ_NETWORK_ID, {
    groupPolicyId: '100',
    name: 'Quarantine',
    scheduling: { enabled: false },
    bandwidth: { settings: 'network default' },
  });
  s.addGroupPolicy(HQ_NETWORK_ID, {
    groupPolicyId: '101',
    name: 'Guests',
    scheduling: { enabled: false },
    bandwidth: { settings: 'network default' },
  });
  s.addClient(HQ_NETWORK_ID, { id: 'k74272e', mac: '22:33:44:55:66:77', ip: '10.0.1.23', description: 'laptop-alice' });
  s.addClient(HQ_NETWORK_ID, { id: 'k8a1b2c', mac: '22:33:44:55:66:88', ip: '10.0.1.24', description: 'laptop-bob' });

  const minute = 60_000;
  s.addEvents(HQ_NETWORK_ID, [
    {
      occurredAt: new Date(now - 50 * minute).toISOString(),
      type: 'dhcp_lease',
      category: 'DHCP',
      description: 'DHCP lease',
      deviceSerial: HQ_APPLIANCE_SERIAL,
      deviceName: 'HQ-MX',
      clientMac: '22:33:44:55:66:77',
      eventData: { ip: '10.0.1.23' },
    },
    {
      occurredAt: new Date(now - 40 * minute).toISOString(),
      type: 'association',
      category: '802.11',
      description: '802.11 association',
      deviceSerial: 'Q2HQ-MR00-0001',
      deviceName: 'HQ-AP-1',
      clientMac: '22:33:44:55:66:77',
      ssidNumber: 0,
      eventData: { radio: '1', channel: '36' },
    },
    {
      occurredAt: new Date(now - 30 * minute).toISOString(),
      type: 'port_status',
      category: 'Port',
      description: 'Port status change',
      deviceSerial: 'Q2HQ-MS00-0001',
      deviceName: 'HQ-SW',
      eventData: { port: '3', status: 'up' },
    },
    {
      occurredAt: new Date(now - 20 * minute).toISOString(),
      type: 'ids_alert',
      category: 'Security',
      description: 'IDS alert',
      deviceSerial: HQ_APPLIANCE_SERIAL,
      deviceName: 'HQ-MX',
      eventData: { signature: '1:2024897:1', priority: '1' },
    },
  ]);

  for (let i = 1; i <= branches; i++) {
    const id = `N_5492360000000000${String(10 + i)}`;
    s.addNetwork({
      id,
      organizationId: DEMO_ORG_ID,
      name: `Branch ${i}`,
      productTypes: ['appliance'],
      tags: ['branch'],
    });
    s.addDevice(
      {
        serial: `Q2BR-MX${String(i).padStart(2, '0')}-000${i % 10}`,
        model: 'MX67C-NA',
        productType: 'appliance',
        networkId: id,
        name: `Branch-${i}-MX`,
      },
      {
        uplinks: [
          wanUplink('wan1', 'active', `198.51.100.${20 + i}`),
          wanUplink('wan2', 'not connected', null),
          cellularUplink('ready', `100.64.201.${i}`, `8901170327810000000${i % 10}`),
        ],
      },
    );
  }

  const otherNet = 'N_681155000000000001';
  s.addNetwork({ id: otherNet, organizationId: OTHER_ORG_ID, name: 'Other HQ', productTypes: ['appliance'] });
  s.addDevice(
    { serial: 'Q3OT-MX00-0001', model: 'MX85', productType: 'appliance', networkId: otherNet, name: 'Other-MX' },
    { uplinks: [wanUplink('wan1', 'active', '192.0.2.50'), wanUplink('wan2', 'ready', '192.0.2.60')] },
  );
  return s.snapshot();
}
