/**
 * Turns a generated scenario (wire-format data) into the emulators' starting state, and applies live
 * feed batches to running emulators.
 */
import type { SlackEmulator, SlackOrg, SlackStateData } from '../emulators/slack';
import type { MerakiEmulator } from '../emulators/meraki';
import type { MerakiStateData } from '../emulators/meraki/types';
import type { LiveBatch, Scenario } from '../scenario';

export interface StackSecrets {
  slackAuditToken: string;
  slackBotToken: string;
  slackScimToken: string;
  slackSigningSecret: string;
  merakiApiKey: string;
  merakiWebhookSecret: string;
}

export const SENTRY_BOT_USER_ID = 'U0SENTRYBOT';

/** The emulated org is the scenario's: the audit/admin token belongs to its primary owner. */
export function slackOrg(scenario: Scenario): Partial<SlackOrg> {
  const { meta } = scenario;
  return {
    ownerUserId: meta.primaryOwnerUserId,
    enterpriseId: meta.enterpriseId,
    ...(meta.workspaceIds[0] === undefined ? {} : { teamId: meta.workspaceIds[0] }),
    botUserId: SENTRY_BOT_USER_ID,
  };
}

/** The incident-response channel: the scenario's security channel, else the first channel. */
export function incidentChannelOf(scenario: Scenario): string {
  const channels = scenario.slack.channels as unknown as { id: string; name: string }[];
  const named = channels.find((c) => /security|incident|soc/i.test(c.name));
  return (named ?? channels[0])?.id ?? 'C0INCIDENTS';
}

/** The Slack emulator's initial state for a scenario; the Sentry bot is a member of the incident channel. */
export function slackSeed(scenario: Scenario): Partial<SlackStateData> {
  const { slack } = scenario;
  const incidentChannel = incidentChannelOf(scenario);
  const channels = (slack.channels as unknown as { id: string; members?: string[] }[]).map((channel) =>
    channel.id === incidentChannel && Array.isArray(channel.members) && !channel.members.includes(SENTRY_BOT_USER_ID)
      ? { ...channel, members: [...channel.members, SENTRY_BOT_USER_ID] }
      : channel,
  );
  return {
    users: slack.users as unknown as SlackStateData['users'],
    channels: channels as unknown as SlackStateData['channels'],
    files: slack.files as unknown as SlackStateData['files'],
    sessions: slack.sessions,
    usergroups: slack.usergroups as unknown as SlackStateData['usergroups'],
    auditEntries: slack.auditEntries as unknown as SlackStateData['auditEntries'],
  };
}

export function merakiSeed(scenario: Scenario, apiKey: string): Partial<MerakiStateData> {
  const { meraki } = scenario;
  return {
    organizations: meraki.organizations,
    networks: meraki.networks,
    devices: meraki.devices,
    deviceStatuses: Object.values(meraki.deviceStatuses).flat(),
    uplinkStatuses: Object.values(meraki.uplinkStatuses).flat(),
    events: groupBy(meraki.events, (event) => event.networkId),
    apiKeys: [{ key: apiKey, organizationIds: '*', label: 'sentry-local' }] as unknown as MerakiStateData['apiKeys'],
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const item of items) (out[key(item)] ??= []).push(item);
  return out;
}

export interface AppliedBatch {
  auditEntries: number;
  merakiEvents: number;
  uplinkChanges: number;
  webhooks: number;
  incidents: string[];
}

/** Applies one live-feed interval to the emulators; webhooks go to the app with the configured secret. */
export async function applyLiveBatch(
  batch: LiveBatch,
  slack: SlackEmulator,
  meraki: MerakiEmulator,
  webhookSecret: string,
): Promise<AppliedBatch> {
  if (batch.files.length > 0) slack.state.addFiles(batch.files as unknown as SlackStateData['files']);
  if (batch.auditEntries.length > 0) slack.state.addAuditEntries(batch.auditEntries as unknown as SlackStateData['auditEntries']);
  for (const [networkId, events] of Object.entries(groupBy(batch.merakiEvents, (e) => e.networkId))) {
    if (meraki.state.network(networkId) !== undefined) meraki.state.addEvents(networkId, events);
  }
  for (const change of batch.uplinkChanges) {
    if (meraki.state.uplinkStatus(change.status.serial) === undefined) continue;
    // The scenario carries the matching webhook bodies itself; do not let the emulator invent a second one.
    meraki.state.setUplinks(change.status.serial, change.status.uplinks, change.at, { webhook: false });
  }
  let webhooks = 0;
  if (meraki.webhooks.url !== undefined) {
    for (const payload of batch.webhooks) {
      await meraki.webhooks.send({ ...payload, sharedSecret: webhookSecret });
      webhooks += 1;
    }
  }
  return {
    auditEntries: batch.auditEntries.length,
    merakiEvents: batch.merakiEvents.length,
    uplinkChanges: batch.uplinkChanges.length,
    webhooks,
    incidents: batch.incidents.map((incident) => incident.id),
  };
}
