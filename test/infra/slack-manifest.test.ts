/**
 * The Slack app manifest grants every scope the code's Slack calls need, on the token that makes
 * them (bot scopes for the bot client, user scopes for the org-owner/admin token), is org-deployable,
 * and points interactivity at the route main.bicep reports.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO, declaration, readBicep } from './bicep-reader';
import { readJson, rel, sourceFiles } from './repo-facts';

interface Manifest {
  _metadata: { major_version: number };
  oauth_config: { scopes: { user?: string[]; bot?: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url: string };
    org_deploy_enabled: boolean;
    socket_mode_enabled: boolean;
  };
  features: { bot_user?: { display_name: string } };
}

const manifest = readJson(resolve(REPO, 'infra', 'slack', 'manifest.json')) as Manifest;

/**
 * Method → scope. Slack emulator methods come from dev/emulators/slack/web-api.ts (the scope each
 * emulated method checks); the rest are from Slack's method docs (docs/reference/slack-api.md, "Web
 * API methods and scopes").
 */
function methodScopes(): Map<string, string> {
  const emulator = readFileSync(resolve(REPO, 'dev', 'emulators', 'slack', 'web-api.ts'), 'utf8');
  const scopes = new Map<string, string>();
  for (const m of emulator.matchAll(/'([a-z]+(?:\.[A-Za-z]+)+)':\s*\{\s*scope:\s*'([^']+)'/g))
    scopes.set(m[1] ?? '', m[2] ?? '');
  const documented: Record<string, string> = {
    'admin.users.deactivate': 'admin.users:write', // the emulator makes it configurable: [UNVERIFIED]
    'admin.users.session.resetBulk': 'admin.users:write',
    'admin.users.remove': 'admin.users:write',
    'conversations.info': 'channels:read',
    'users.list': 'users:read',
    'usergroups.list': 'usergroups:read',
    // Any valid token may ask who it belongs to (https://api.slack.com/methods/auth.test: no scope).
    'auth.test': '',
  };
  for (const [method, scope] of Object.entries(documented)) if (!scopes.has(method)) scopes.set(method, scope);
  return scopes;
}

export interface SlackUse {
  what: string;
  scope: string | undefined;
  /** Which token makes the call: the bot, a user (org owner/admin), or unknown (either grants it). */
  token: 'bot' | 'user' | 'either';
  file: string;
}

const METHOD_LITERAL =
  /'((?:chat|users|usergroups|files|admin|conversations|reactions|views|pins|team|auth)\.[A-Za-z]+(?:\.[A-Za-z]+)*)'/g;
const CALL = /callSlack\(\s*([^,]+?)\s*,\s*'([A-Za-z.]+)'/g;

/** Slack methods and APIs a set of source files uses. */
export function slackUses(files: { path: string; text: string }[], scopes: Map<string, string>): SlackUse[] {
  const uses: SlackUse[] = [];
  for (const { path, text } of files) {
    const tokens = new Map<string, SlackUse['token']>();
    for (const m of text.matchAll(CALL)) {
      const client = m[1] ?? '';
      tokens.set(m[2] ?? '', /admin|user|owner/i.test(client) ? 'user' : /bot/i.test(client) ? 'bot' : 'either');
    }
    for (const m of text.matchAll(METHOD_LITERAL)) {
      const method = m[1] ?? '';
      uses.push({
        what: method,
        scope: scopes.get(method),
        token: tokens.get(method) ?? (method.startsWith('admin.') ? 'user' : 'either'),
        file: path,
      });
    }
    if (/\/audit\/v1\/|auditApiUrl/.test(text) && !path.endsWith('config/index.ts')) {
      uses.push({ what: 'Audit Logs API', scope: 'auditlogs:read', token: 'user', file: path });
    }
    if (/\/scim\/v[12]\/|scimApiUrl/.test(text) && !path.endsWith('config/index.ts')) {
      uses.push({ what: 'SCIM API', scope: 'admin', token: 'user', file: path });
    }
  }
  return uses;
}

/** Uses the manifest does not cover, as readable messages. */
export function uncovered(uses: SlackUse[], m: Manifest): string[] {
  const user = new Set(m.oauth_config.scopes.user ?? []);
  const bot = new Set(m.oauth_config.scopes.bot ?? []);
  const problems: string[] = [];
  for (const u of uses) {
    if (u.scope === undefined) {
      problems.push(`${u.file}: ${u.what} has no known scope; add it to methodScopes() and to the manifest`);
      continue;
    }
    if (u.scope === '') continue;
    const granted =
      u.token === 'bot'
        ? bot.has(u.scope)
        : u.token === 'user'
          ? user.has(u.scope)
          : bot.has(u.scope) || user.has(u.scope);
    if (!granted)
      problems.push(`${u.file}: ${u.what} needs ${u.token === 'either' ? '' : `${u.token} `}scope ${u.scope}`);
  }
  return [...new Set(problems)];
}

describe('the Slack app manifest', () => {
  const scopes = methodScopes();
  const files = sourceFiles().map((path) => ({ path: rel(path), text: readFileSync(path, 'utf8') }));
  const uses = slackUses(files, scopes);

  it('knows the scopes of the methods the emulator serves', () => {
    expect(scopes.get('chat.postMessage')).toBe('chat:write');
    expect(scopes.get('admin.users.session.reset')).toBe('admin.users:write');
    expect(scopes.get('files.info')).toBe('files:read');
  });

  it('finds the Slack calls in src/ (audit logs at least)', () => {
    expect(uses.map((u) => u.what)).toContain('Audit Logs API');
  });

  it("grants every scope the code's Slack calls need, on the token that makes them", () => {
    expect(uncovered(uses, manifest)).toEqual([]);
  });

  it('covers the response actions and enrichment the product promises, even before their code lands', () => {
    const promised: SlackUse[] = [
      { what: 'chat.postMessage', scope: 'chat:write', token: 'bot', file: 'alerts' },
      { what: 'chat.update', scope: 'chat:write', token: 'bot', file: 'alerts' },
      { what: 'usergroups.users.list', scope: 'usergroups:read', token: 'bot', file: 'responders' },
      { what: 'files.info', scope: 'files:read', token: 'bot', file: 'sensitive channels' },
      { what: 'users.info', scope: 'users:read', token: 'bot', file: 'alerts' },
      { what: 'users.lookupByEmail', scope: 'users:read.email', token: 'bot', file: 'alerts' },
      { what: 'admin.users.session.reset', scope: 'admin.users:write', token: 'user', file: 'response' },
      { what: 'admin.users.session.list', scope: 'admin.users:read', token: 'user', file: 'response' },
      { what: 'SCIM API', scope: 'admin', token: 'user', file: 'response' },
      { what: 'Audit Logs API', scope: 'auditlogs:read', token: 'user', file: 'collector' },
    ];
    expect(uncovered(promised, manifest)).toEqual([]);
  });

  it('catches a call whose scope the manifest lacks, and one on the wrong token', () => {
    const snippet = [
      { path: 'src/x.ts', text: "await callSlack(deps.bot(), 'files.info', { file: id });" },
      { path: 'src/y.ts', text: "await callSlack(admin, 'admin.users.session.reset', { user_id });" },
    ];
    const found = slackUses(snippet, scopes);
    expect(found.map((u) => [u.what, u.token])).toEqual([
      ['files.info', 'bot'],
      ['admin.users.session.reset', 'user'],
    ]);
    const fixed = (user: string[], bot: string[]): Manifest => ({
      ...manifest,
      oauth_config: { scopes: { user, bot } },
    });
    expect(uncovered(found, fixed(['admin.users:write'], ['files:read']))).toEqual([]);
    expect(uncovered(found, fixed(['admin.users:write'], ['chat:write']))).toEqual([
      'src/x.ts: files.info needs bot scope files:read',
    ]);
    expect(uncovered(found, fixed([], ['files:read', 'admin.users:write']))).toEqual([
      'src/y.ts: admin.users.session.reset needs user scope admin.users:write',
    ]);
    expect(
      uncovered(slackUses([{ path: 'src/z.ts', text: "callSlack(bot, 'reactions.add', {})" }], scopes), manifest)[0],
    ).toContain('no known scope');
  });

  it('is org-deployable over HTTP, with interactivity at the URL the deployment outputs', () => {
    expect(manifest._metadata.major_version).toBe(1);
    expect(manifest.settings.org_deploy_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toBe('${SLACK_INTERACTIVITY_URL}');
    const main = readBicep('main.bicep');
    expect(main.declarations.some((d) => d.kind === 'output' && d.name === 'SLACK_INTERACTIVITY_URL')).toBe(true);
    const azureYaml = readFileSync(resolve(REPO, 'azure.yaml'), 'utf8');
    expect(azureYaml).toContain('${SLACK_INTERACTIVITY_URL}');
    expect(azureYaml).toContain('infra/slack/manifest.json');
    // The route main.bicep reports is the one the local stack wires Slack's emulator to.
    const path = declaration(main, 'var', 'slackInteractivityPath').body.replace(/'/g, '');
    const stack = readFileSync(resolve(REPO, 'dev', 'stack', 'index.ts'), 'utf8');
    expect(stack).toContain(`\${host.url}${path}\``);
    const webhook = declaration(main, 'var', 'merakiWebhookPath').body.replace(/'/g, '');
    expect(stack).toContain(`\${host.url}${webhook}\``);
    // Once src/ registers those routes, they must match too.
    const routes = sourceFiles()
      .map((f) => readFileSync(f, 'utf8'))
      .flatMap((t) => [...t.matchAll(/route:\s*'([^']+)'/g)].map((m) => `/api/${m[1] ?? ''}`));
    for (const route of routes.filter((r) => /slack\/interact|meraki\/webhook/.test(r)))
      expect([path, webhook]).toContain(route);
  });
});
