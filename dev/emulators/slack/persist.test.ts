import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { seedSampleOrg } from './fixtures';
import { startSlackEmulator, type SlackEmulator } from './index';
import { loadSnapshot, persistState } from './persist';

let dir: string | undefined;
const emulators: SlackEmulator[] = [];
afterEach(async () => {
  for (const e of emulators.splice(0)) await e.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('Slack emulator persistence', () => {
  it('writes the org after changes and a restarted emulator picks it up', async () => {
    dir = await mkdtemp(join(tmpdir(), 'slack-emulator-'));
    const file = join(dir, 'data', 'slack.json');
    expect(await loadSnapshot(file)).toBeUndefined();
    const first = await startSlackEmulator();
    emulators.push(first);
    const persistence = persistState(first.state, file, 20);
    const org = seedSampleOrg(first.state);
    await fetch(`${first.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.tokens.bot}` },
      body: new URLSearchParams({ channel: org.alerts.id, text: 'persist me' }),
    });
    await persistence.stop();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ org: { teamId: first.state.org.teamId } });

    const second = await startSlackEmulator({ seed: await loadSnapshot(file) });
    emulators.push(second);
    expect(second.state.getMessages(org.alerts.id).map((m) => m.text)).toEqual(['persist me']);
    expect(second.state.getUser(org.alice.id)?.is_admin).toBe(true);
  });
});
