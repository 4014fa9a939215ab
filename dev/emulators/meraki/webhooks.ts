/**
 * Meraki webhook alerts (docs/reference/meraki-api.md, "Network events and webhooks"): the default
 * `meraki/body.liquid` payload POSTed as JSON to a receiver, authenticated only by the plain
 * `sharedSecret` string inside the body (no HMAC). Real receivers must be public HTTPS; locally any
 * URL works. Retry semantics of real Meraki are
 * [UNVERIFIED], so retries are off unless configured. Alert type names and levels are data, and the
 * meaning of `failover_event.alertData.uplink` is [UNVERIFIED] (mapping configurable).
 */
import { isoMicro } from './builders';
import type { MerakiState, UplinkChange } from './state';
import type { Uplink, WebhookAlert } from './types';

export interface AlertTypeInfo {
  alertType: string;
  alertLevel: string;
}

/** From meraki/webhook-payload-templates `alertTypes.json` (2021); levels marked ? are [UNVERIFIED]. */
export const DEFAULT_ALERT_TYPES: Record<string, AlertTypeInfo> = {
  failover_event: { alertType: 'Uplink status changed', alertLevel: 'warning' },
  cellular_up: { alertType: 'Cellular came up', alertLevel: 'informational' },
  cellular_down: { alertType: 'Cellular went down', alertLevel: 'warning' }, // level ?
  vrrp: { alertType: 'Failover event detected', alertLevel: 'critical' },
  started_reporting: { alertType: 'APs came up', alertLevel: 'informational' },
  stopped_reporting: { alertType: 'APs went down', alertLevel: 'critical' }, // level ?
  vpn_connectivity_change: { alertType: 'VPN connectivity changed', alertLevel: 'warning' },
  settings_changed: { alertType: 'Settings changed', alertLevel: 'informational' },
  client_connectivity: { alertType: 'Client connectivity changed', alertLevel: 'warning' },
  ip_conflict: { alertType: 'IP conflict detected', alertLevel: 'warning' }, // text ?
  rogue_dhcp: { alertType: 'Rogue DHCP server detected', alertLevel: 'warning' }, // text ?
};

/** [UNVERIFIED] which number Meraki puts in `failover_event.alertData.uplink` for each interface. */
export const DEFAULT_UPLINK_INDEX: Record<string, string> = { wan1: '0', wan2: '1', cellular: '2' };

export interface AlertInput {
  alertTypeId: string;
  alertType?: string;
  alertLevel?: string;
  /** Fills device, network and organization fields from state. */
  deviceSerial?: string;
  /** Fills network and organization fields when there is no device. */
  networkId?: string;
  organizationId?: string;
  occurredAt?: number | Date | string;
  alertData?: Record<string, unknown>;
  alertId?: string;
  /** Overrides the configured secret for this alert (e.g. to test a receiver rejecting it). */
  sharedSecret?: string;
}

export interface WebhookDelivery {
  url: string;
  alert: WebhookAlert;
  /** HTTP status of the last attempt; undefined when the receiver could not be reached. */
  status: number | undefined;
  responseBody?: string;
  error?: string;
  attempts: number;
}

export interface WebhookOptions {
  /** Receiver URL; alerts are not sent while it is unset. */
  url?: string;
  sharedSecret?: string;
  /** Fire alerts automatically when `state.setUplinks`/`failover` changes an appliance's uplinks. */
  onUplinkChange?: boolean;
  alertTypes?: Record<string, AlertTypeInfo>;
  uplinkIndex?: Record<string, string>;
  /** Extra attempts after a failed delivery (network error or non-2xx). Default 0. */
  retries?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
  /** Extra request headers (a custom `headers.liquid` template can move the secret into one). */
  headers?: Record<string, string>;
}

export class WebhookSender {
  url: string | undefined;
  sharedSecret: string;
  onUplinkChange: boolean;
  readonly alertTypes: Record<string, AlertTypeInfo>;
  readonly uplinkIndex: Record<string, string>;
  /** Every delivery attempted, most recent last. */
  readonly deliveries: WebhookDelivery[] = [];
  /** Background alerts that were not sent (no receiver configured, unknown device). */
  readonly skipped: { input: AlertInput; reason: string }[] = [];
  private readonly pending = new Set<Promise<WebhookDelivery>>();
  private alertSeq = 0n;

  constructor(
    private readonly state: MerakiState,
    private readonly now: () => number,
    private readonly options: WebhookOptions = {},
  ) {
    this.url = options.url;
    this.sharedSecret = options.sharedSecret ?? '';
    this.onUplinkChange = options.onUplinkChange ?? false;
    this.alertTypes = { ...DEFAULT_ALERT_TYPES, ...options.alertTypes };
    this.uplinkIndex = { ...DEFAULT_UPLINK_INDEX, ...options.uplinkIndex };
  }

  configure(patch: { url?: string; sharedSecret?: string; onUplinkChange?: boolean }): void {
    if (patch.url !== undefined) this.url = patch.url;
    if (patch.sharedSecret !== undefined) this.sharedSecret = patch.sharedSecret;
    if (patch.onUplinkChange !== undefined) this.onUplinkChange = patch.onUplinkChange;
  }

  /** The full payload for an alert, with names, tags and URLs taken from state. */
  build(input: AlertInput): WebhookAlert {
    const device = input.deviceSerial === undefined ? undefined : this.state.device(input.deviceSerial);
    if (input.deviceSerial !== undefined && device === undefined)
      throw new Error(`unknown device ${input.deviceSerial}`);
    const networkId = input.networkId ?? device?.networkId ?? undefined;
    const network = networkId === undefined ? undefined : this.state.network(networkId);
    if (networkId !== undefined && network === undefined) throw new Error(`unknown network ${networkId}`);
    const organizationId = input.organizationId ?? network?.organizationId;
    const org = organizationId === undefined ? undefined : this.state.organization(organizationId);
    if (org === undefined) throw new Error('an alert needs a device, network or organization that exists');
    const type = this.alertTypes[input.alertTypeId];
    this.alertSeq += 1n;
    return {
      version: '0.1',
      sharedSecret: input.sharedSecret ?? this.sharedSecret,
      sentAt: isoMicro(this.now()),
      organizationId: org.id,
      organizationName: org.name,
      organizationUrl: org.url,
      networkId: network?.id ?? '',
      networkName: network?.name ?? '',
      networkUrl: network?.url ?? '',
      networkTags: [...(network?.tags ?? [])],
      deviceSerial: device?.serial ?? '',
      deviceMac: device?.mac ?? '',
      deviceName: device?.name ?? '',
      deviceUrl: device?.url ?? '',
      deviceTags: [...(device?.tags ?? [])],
      deviceModel: device?.model ?? '',
      alertId: input.alertId ?? String(658651445547679000n + this.alertSeq),
      alertType: input.alertType ?? type?.alertType ?? input.alertTypeId,
      alertTypeId: input.alertTypeId,
      alertLevel: input.alertLevel ?? type?.alertLevel ?? 'informational',
      occurredAt: isoMicro(input.occurredAt ?? this.now()),
      alertData: input.alertData ?? {},
    };
  }

  /** Builds (unless given a full payload) and POSTs one alert; resolves with the delivery record. */
  async send(input: AlertInput | WebhookAlert, options: { url?: string } = {}): Promise<WebhookDelivery> {
    const url = options.url ?? this.url;
    if (url === undefined) throw new Error('no webhook receiver URL configured');
    const alert = 'version' in input ? input : this.build(input);
    const delivery: WebhookDelivery = { url, alert, status: undefined, attempts: 0 };
    this.deliveries.push(delivery);
    const attempts = 1 + (this.options.retries ?? 0);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      delivery.attempts = attempt;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.options.headers },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        delivery.status = response.status;
        delivery.responseBody = await response.text();
        delete delivery.error;
        if (response.ok) break;
      } catch (error) {
        delivery.status = undefined;
        delivery.error = error instanceof Error ? error.message : String(error);
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 1000));
    }
    return delivery;
  }

  /**
   * Sends in the background; `idle()` waits for it. Never throws: delivery failures are kept in
   * `deliveries`, and alerts that cannot be built or have no receiver are counted in `skipped`.
   */
  enqueue(input: AlertInput): void {
    let alert: WebhookAlert;
    try {
      if (this.url === undefined) throw new Error('no webhook receiver URL configured');
      alert = this.build(input);
    } catch (error) {
      this.skipped.push({ input, reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    const promise = this.send(alert);
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  /** Resolves once every background delivery has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /**
   * Alerts an MX sends for an uplink change: `failover_event` when the interface carrying traffic
   * changes, `cellular_up`/`cellular_down` when the cellular uplink becomes or stops being active.
   */
  alertsFor(change: UplinkChange): AlertInput[] {
    const alerts: AlertInput[] = [];
    const base = { deviceSerial: change.serial, occurredAt: change.at };
    if (change.activeBefore !== change.activeAfter) {
      const name = change.activeAfter ?? change.activeBefore ?? '';
      alerts.push({ ...base, alertTypeId: 'failover_event', alertData: { uplink: this.uplinkIndex[name] ?? name } });
    }
    const cellular = change.transitions.find((t) => t.interface === 'cellular');
    if (cellular !== undefined && (cellular.to === 'active') !== (cellular.from === 'active')) {
      const uplink =
        change.current.find((u) => u.interface === 'cellular') ??
        change.previous.find((u) => u.interface === 'cellular');
      alerts.push({
        ...base,
        alertTypeId: cellular.to === 'active' ? 'cellular_up' : 'cellular_down',
        alertData: cellularData(uplink),
      });
    }
    return alerts;
  }
}

function cellularData(uplink: Uplink | undefined): Record<string, unknown> {
  return {
    provider: uplink?.provider ?? '',
    model: uplink?.model ?? '',
    local: uplink?.ip ?? '',
    remote: uplink?.gateway ?? '',
    connection: (uplink?.signalType ?? uplink?.connectionType ?? '').toUpperCase(),
  };
}
