import { afterEach, describe, expect, it } from 'vitest';

import { seedSampleOrg, type SampleOrg } from './fixtures';
import { startSlackEmulator, type SlackEmulator, type SlackEmulatorOptions } from './index';

let emulator: SlackEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(
  options: SlackEmulatorOptions = {},
): Promise<{ e: SlackEmulator; org: SampleOrg; scim: (path: string, init?: RequestInit) => Promise<Response> }> {
  const e = await startSlackEmulator(options);
  emulator = e;
  const org = seedSampleOrg(e.state);
  const scim = (path: string, init: RequestInit = {}) =>
    fetch(`${e.scimUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${e.tokens.scim}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  return { e, org, scim };
}

interface ScimList {
  totalResults: number;
  itemsPerPage: number;
  startIndex: number;
  Resources: {
    id: string;
    userName: string;
    active: boolean;
    emails: { value: string }[];
    groups: { value: string }[];
  }[];
}

describe('Slack SCIM v1 emulator', () => {
  it('lists users with filter, startIndex and count', async () => {
    const { org, scim } = await start();
    const all = (await (await scim('Users')).json()) as ScimList;
    // The bot user is not a SCIM user.
    expect(all.Resources.map((u) => u.id).sort()).toEqual([org.alice.id, org.bob.id, org.carol.id, 'W0OWNER01'].sort());
    expect(all.totalResults).toBe(4);
    const page = (await (await scim('Users?startIndex=2&count=2')).json()) as ScimList;
    expect(page).toMatchObject({ startIndex: 2, itemsPerPage: 2, totalResults: 4 });
    expect(page.Resources.map((u) => u.id)).toEqual(all.Resources.slice(1, 3).map((u) => u.id));
    const byEmail = (await (
      await scim(`Users?filter=${encodeURIComponent('email eq "bob@sentry-test.example"')}`)
    ).json()) as ScimList;
    expect(byEmail.Resources.map((u) => u.id)).toEqual([org.bob.id]);
    expect(byEmail.Resources[0]?.groups.map((g) => g.value)).toEqual([org.group.id]);
    const inactive = (await (await scim(`Users?filter=${encodeURIComponent('active eq false')}`)).json()) as ScimList;
    expect(inactive.Resources.map((u) => u.id)).toEqual([org.carol.id]);
    const bad = await scim(`Users?filter=${encodeURIComponent('name co "x"')}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ Errors: { description: 'invalid_filter', code: 400 } });
  });

  it('gets one user, 404s an unknown one, and 401s a bad token with SCIM error JSON', async () => {
    const { e, org, scim } = await start();
    const bob = (await (await scim(`Users/${org.bob.id}`)).json()) as {
      id: string;
      active: boolean;
      userName: string;
      meta: { location: string };
    };
    expect(bob).toMatchObject({
      id: org.bob.id,
      active: true,
      userName: 'bob',
      meta: { location: `${e.url}/scim/v1/Users/${org.bob.id}` },
    });
    const missing = await scim('Users/W0NOBODY');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ Errors: { description: 'user_not_found', code: 404 } });
    const denied = await fetch(`${e.scimUrl}Users`, { headers: { authorization: 'Bearer xoxp-wrong' } });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ Errors: { description: 'invalid_authentication', code: 401 } });
    const bot = await fetch(`${e.scimUrl}Users`, { headers: { authorization: `Bearer ${e.tokens.bot}` } });
    expect(bot.status).toBe(403);
  });

  it('PATCH active:false deactivates the user, ends their sessions and logs user_deactivated', async () => {
    const { e, org, scim } = await start();
    const res = await scim(`Users/${org.bob.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ schemas: ['urn:scim:schemas:core:1.0'], active: false }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: org.bob.id, active: false });
    expect(e.state.getUser(org.bob.id)?.deleted).toBe(true);
    expect(e.state.getSessions(org.bob.id)).toEqual([]);
    expect(e.state.getSessions(org.alice.id)).toHaveLength(1);
    expect(e.state.getAuditEntries()).toHaveLength(1);
    expect(e.state.getAuditEntries()[0]).toMatchObject({
      action: 'user_deactivated',
      entity: { type: 'user', user: { id: org.bob.id } },
    });
    // The Web API sees it too.
    const info = (await (
      await fetch(`${e.apiUrl}users.info`, {
        method: 'POST',
        headers: { authorization: `Bearer ${e.tokens.bot}` },
        body: new URLSearchParams({ user: org.bob.id }),
      })
    ).json()) as {
      user: { deleted: boolean };
    };
    expect(info.user.deleted).toBe(true);
    // Reactivation through SCIM 2 style operations.
    const back = await scim(`Users/${org.bob.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ Operations: [{ op: 'replace', path: 'active', value: true }] }),
    });
    expect(await back.json()).toMatchObject({ active: true });
  });

  it('DELETE deactivates (204), and the primary owner cannot be deactivated', async () => {
    const { e, org, scim } = await start();
    const res = await scim(`Users/${org.alice.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(e.state.getUser(org.alice.id)?.deleted).toBe(true);
    expect(e.state.getSessions(org.alice.id)).toEqual([]);
    const owner = await scim(`Users/${e.state.org.ownerUserId}`, {
      method: 'PATCH',
      body: JSON.stringify({ active: false }),
    });
    expect(owner.status).toBe(403);
    expect(e.state.getUser(e.state.org.ownerUserId)?.deleted).toBe(false);
    expect((await scim('Users/W0NOBODY', { method: 'DELETE' })).status).toBe(404);
  });

  it('can be told that PATCH active:false does not deactivate', async () => {
    const { e, org, scim } = await start({ scim: { patchActiveDeactivates: false, deleteStatus: 200 } });
    await scim(`Users/${org.bob.id}`, { method: 'PATCH', body: JSON.stringify({ active: false }) });
    expect(e.state.getUser(org.bob.id)?.deleted).toBe(false);
    const del = await scim(`Users/${org.bob.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ active: false });
  });
});
