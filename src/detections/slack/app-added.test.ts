import { describe, expect, it } from 'vitest';

import { appEntity, auditRow, raise } from '../../../test/helpers/detection-testkit';
import { appAdded } from './app-added';

const install = (app: ReturnType<typeof appEntity>, action = 'app_installed', details?: Record<string, unknown>) =>
  auditRow(details === undefined ? { action, entity: app } : { action, entity: app, details });

describe('slack.audit.app-added', () => {
  it.each(['app_installed', 'app_approved', 'org_app_workspace_added'])(
    'raises (medium) for %s of an unvetted app',
    async (action) => {
      const [f] = await raise(appAdded, [
        install(appEntity('A0SHADY', 'Shady Bot', { scopes: ['chat:write'] }), action),
      ]);
      expect(f?.severity).toBe('medium');
      expect(f?.subject).toMatchObject({ type: 'app', id: 'A0SHADY' });
    },
  );

  it('raises high for risky scopes, even on a directory-approved app', async () => {
    const app = appEntity('A0ADMIN', 'Admin Helper', { is_directory_approved: true, scopes: ['admin.users:write'] });
    const [f] = await raise(appAdded, [install(app)]);
    expect(f?.severity).toBe('high');
    const botScopes = install(appEntity('A0READ', 'Reader', { is_directory_approved: true }), 'app_installed', {
      bot_scopes: ['channels:history'],
    });
    expect((await raise(appAdded, [botScopes]))[0]?.severity).toBe('high');
  });

  it('stays quiet for approved apps and directory-approved apps without risky scopes (the defaults)', async () => {
    const zoom = appEntity('A0ZOOM', 'Zoom', { is_directory_approved: true, scopes: ['commands', 'chat:write'] });
    expect(await raise(appAdded, [install(zoom)])).toEqual([]);
    expect(await raise(appAdded, [install(zoom)], { ignoreDirectoryApproved: false })).toHaveLength(1);
    expect(await raise(appAdded, [install(appEntity('A0OURS', 'Ours'))], { approvedAppIds: ['A0OURS'] })).toEqual([]);
    expect(await raise(appAdded, [install(appEntity('A0X', 'X'), 'app_uninstalled')])).toEqual([]);
  });
});
