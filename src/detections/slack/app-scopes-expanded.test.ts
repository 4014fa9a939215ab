import { describe, expect, it } from 'vitest';

import { appEntity, auditRow, raise } from '../../../test/helpers/detection-testkit';
import { appScopesExpanded } from './app-scopes-expanded';

const change = (action: string, details?: Record<string, unknown>) =>
  auditRow(
    details === undefined
      ? { action, entity: appEntity('A0BOT', 'Bot') }
      : { action, entity: appEntity('A0BOT', 'Bot'), details },
  );

describe('slack.audit.app-scopes-expanded', () => {
  it('raises when scopes were actually added', async () => {
    const [f] = await raise(appScopesExpanded, [
      change('app_scopes_expanded', { previous_scopes: ['chat:write'], new_scopes: ['chat:write', 'reactions:read'] }),
    ]);
    expect(f?.severity).toBe('medium');
    expect(f?.evidence.changes).toEqual(['app_scopes_expanded +reactions:read']);
  });

  it('raises high when a risky scope was added', async () => {
    const [f] = await raise(appScopesExpanded, [
      change('app_scopes_expanded', { previous_scopes: [], new_scopes: ['im:history'] }),
    ]);
    expect(f?.severity).toBe('high');
  });

  it.each(['app_resources_added', 'app_resources_granted', 'bot_token_upgraded'])('raises for %s', async (action) => {
    expect(await raise(appScopesExpanded, [change(action)])).toHaveLength(1);
  });

  it('ignores a scopes change that added nothing, and approved apps', async () => {
    expect(
      await raise(appScopesExpanded, [
        change('app_scopes_expanded', { previous_scopes: ['a', 'b'], new_scopes: ['a'] }),
      ]),
    ).toEqual([]);
    expect(await raise(appScopesExpanded, [change('bot_token_upgraded')], { approvedAppIds: ['A0BOT'] })).toEqual([]);
  });
});
