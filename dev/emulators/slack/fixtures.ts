/**
 * A small seeded org for the emulator's tests and for quick local runs: three people (an admin, a
 * member, a deactivated guest), a public and a private channel, a file shared in both, sessions on
 * web and mobile, and a user group.
 */
import { randomUUID } from 'node:crypto';

import type {
  AuditEntry,
  SlackChannel,
  SlackFile,
  SlackOrg,
  SlackSession,
  SlackState,
  SlackUser,
  SlackUserGroup,
} from './state';

export function person(
  org: SlackOrg,
  id: string,
  name: string,
  email: string,
  extra: Partial<SlackUser> = {},
): SlackUser {
  const [first = name, last = ''] = name.split(' ');
  return {
    id,
    team_id: org.teamId,
    name: email.split('@')[0] ?? name,
    real_name: name,
    deleted: false,
    tz: 'Europe/London',
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: false,
    is_app_user: false,
    updated: 1_700_000_000,
    profile: { real_name: name, display_name: first, first_name: first, last_name: last, email, title: '' },
    enterprise_user: {
      id,
      enterprise_id: org.enterpriseId,
      enterprise_name: org.enterpriseName,
      is_admin: extra.is_admin === true,
      is_owner: false,
      is_primary_owner: false,
      teams: [org.teamId],
    },
    ...extra,
  };
}

export interface SampleOrg {
  alice: SlackUser;
  bob: SlackUser;
  carol: SlackUser;
  alerts: SlackChannel;
  finance: SlackChannel;
  file: SlackFile;
  sessions: SlackSession[];
  group: SlackUserGroup;
}

export function seedSampleOrg(state: SlackState): SampleOrg {
  const org = state.org;
  const alice = person(org, 'W0ALICE01', 'Alice Admin', 'alice@sentry-test.example', { is_admin: true });
  const bob = person(org, 'W0BOB0001', 'Bob Builder', 'bob@sentry-test.example');
  const carol = person(org, 'W0CAROL01', 'Carol Guest', 'carol@sentry-test.example', {
    deleted: true,
    is_restricted: true,
  });
  const alerts: SlackChannel = { id: 'C0ALERTS1', name: 'security-alerts', is_channel: true, is_private: false };
  const finance: SlackChannel = {
    id: 'G0FINANCE',
    name: 'finance',
    is_channel: true,
    is_private: true,
    members: [alice.id, bob.id],
  };
  const file: SlackFile = {
    id: 'F0PLAN001',
    name: 'plan.pdf',
    title: 'Q3 plan',
    filetype: 'pdf',
    user: bob.id,
    created: 1_700_000_000,
    is_public: false,
    channels: [alerts.id],
    groups: [finance.id],
    ims: [],
    shares: {
      public: { [alerts.id]: [{ ts: '1700000000.000100', channel_name: alerts.name, share_user_id: bob.id }] },
      private: { [finance.id]: [{ ts: '1700000001.000100', channel_name: finance.name, share_user_id: bob.id }] },
    },
  };
  const sessions: SlackSession[] = [
    {
      user_id: bob.id,
      team_id: org.teamId,
      session_id: 1001,
      created: {
        device_hardware: 'Mac',
        os: 'Mac OS',
        os_version: '14.1',
        slack_client_version: '4.36.0',
        ip: '203.0.113.5',
      },
    },
    {
      user_id: bob.id,
      team_id: org.teamId,
      session_id: 1002,
      created: {
        device_hardware: 'iPhone',
        os: 'iOS',
        os_version: '17.1',
        slack_client_version: '23.10',
        ip: '198.51.100.7',
      },
    },
    {
      user_id: alice.id,
      team_id: org.teamId,
      session_id: 2001,
      created: {
        device_hardware: 'PC',
        os: 'Windows',
        os_version: '11',
        slack_client_version: '4.36.0',
        ip: '203.0.113.9',
      },
    },
  ];
  const group: SlackUserGroup = {
    id: 'S0SECOPS1',
    team_id: org.teamId,
    name: 'Security On-call',
    handle: 'secops',
    users: [alice.id, bob.id],
  };
  state.addUsers(alice, bob, carol);
  state.addChannels(alerts, finance);
  state.addFiles(file);
  state.addSessions(sessions);
  state.addUserGroups(group);
  return { alice, bob, carol, alerts, finance, file, sessions, group };
}

/** A valid audit entry (documented shape) with overridable fields. */
export function auditEntry(
  org: SlackOrg,
  overrides: Partial<AuditEntry> & { date_create: number; action?: string },
  actor?: SlackUser,
): AuditEntry {
  const who = actor ?? { id: 'W0BOB0001', name: 'bob', profile: { email: 'bob@sentry-test.example' } };
  return {
    id: randomUUID(),
    action: 'user_login',
    actor: {
      type: 'user',
      user: { id: who.id, name: who.name, email: who.profile.email ?? '', team: org.enterpriseId },
    },
    entity: {
      type: 'user',
      user: { id: who.id, name: who.name, email: who.profile.email ?? '', team: org.enterpriseId },
    },
    context: {
      location: { type: 'workspace', id: org.teamId, name: org.teamName, domain: org.teamDomain },
      ua: 'Mozilla/5.0',
      ip_address: '203.0.113.5',
      session_id: 1001,
    },
    ...overrides,
  };
}
