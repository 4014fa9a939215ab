import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELD_LIMIT_BYTES, utf8Length } from './columns';
import { isoFromUnixSeconds, slackAuditEntity, toSlackAuditRow, transformSlackAuditEntries } from './slack-audit';
import { type SlackAuditRow, streams } from './streams';

const FIXTURES = resolve(__dirname, '../../test/fixtures/slack-audit');
const ORG = { sourceOrg: 'E02N1QXMZ7K' };

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

function rowOf(entry: unknown): SlackAuditRow {
  const result = toSlackAuditRow(entry, ORG);
  if (!result.ok) throw new Error(`expected a row, got: ${result.reason}`);
  return result.row;
}

function reasonOf(entry: unknown): string {
  const result = toSlackAuditRow(entry, ORG);
  if (result.ok) throw new Error(`expected a rejection, got row ${result.row.EventId}`);
  return result.reason;
}

describe('toSlackAuditRow on recorded entries', () => {
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

  it.each(names)('%s lands a row the stream schema accepts, stamped with its own time', (name) => {
    const entry = fixture(name);
    const row = rowOf(entry);
    expect(streams.slackAudit.schema.safeParse(row).success).toBe(true);
    expect(row.TimeGenerated).toBe(new Date((entry.date_create as number) * 1000).toISOString().replace('.000Z', 'Z'));
    expect(row.DateCreate).toBe(entry.date_create);
    expect(row.EventId).toBe(entry.id);
    expect(row.Action).toBe(entry.action);
    expect(row.SourceOrg).toBe('E02N1QXMZ7K');
    // Absent values are omitted, never stored as empty strings or nulls.
    for (const value of Object.values(row)) expect(value === '' || value === null).toBe(false);
  });

  it('file_downloaded: actor, context, session id from a JSON number, entity split into columns', () => {
    expect(rowOf(fixture('001-file-downloaded.json'))).toEqual({
      TimeGenerated: '2024-11-22T08:00:00Z',
      EventId: '0b9c5e4e-7d1a-4f3e-9a55-2f8d3c6b1e07',
      SourceOrg: 'E02N1QXMZ7K',
      DateCreate: 1732262400,
      Action: 'file_downloaded',
      ActorType: 'user',
      ActorUserId: 'W02N4H7K1PA',
      ActorUserName: 'Alice Moreau',
      ActorEmail: 'alice.moreau@example.com',
      ActorTeam: 'E02N1QXMZ7K',
      SrcIpAddr: '203.0.113.24',
      UserAgent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonic Slack_SSB/4.41.105',
      SessionId: '1656410836837',
      LocationType: 'workspace',
      LocationId: 'T02N1QY8B3F',
      LocationName: 'Acme Corp',
      LocationDomain: 'acme-corp',
      EntityType: 'file',
      EntityId: 'F07RQ2M5H3B',
      EntityName: 'q3-board-deck.pdf',
      Entity: { filetype: 'pdf', title: 'Q3 board deck' },
    });
  });

  it('session_id as a string, null, or absent', () => {
    expect(rowOf(fixture('002-user-login.json')).SessionId).toBe('847288190092');
    const failed = rowOf(fixture('003-user-login-failed.json'));
    expect(failed).not.toHaveProperty('SessionId');
    expect(failed).not.toHaveProperty('Extra');
    expect(rowOf(fixture('004-anomaly.json'))).not.toHaveProperty('SessionId');
  });

  it('user_login: the entity repeats the actor, so only its id is stored and the view expands it', () => {
    const row = rowOf(fixture('002-user-login.json'));
    expect(row.EntityType).toBe('user');
    expect(row.EntityId).toBe('W02N4H7K1PA');
    expect(row).not.toHaveProperty('EntityName');
    expect(row).not.toHaveProperty('Entity');
    expect(slackAuditEntity(row)).toEqual({
      type: 'user',
      id: 'W02N4H7K1PA',
      name: 'Alice Moreau',
      email: 'alice.moreau@example.com',
      team: 'E02N1QXMZ7K',
    });
  });

  it('role_change_to_admin: a different target user keeps its name and attributes', () => {
    const row = rowOf(fixture('005-role-change-to-admin.json'));
    expect(row).toMatchObject({
      Action: 'role_change_to_admin',
      ActorUserId: 'W01A2B3C4D5',
      EntityId: 'W02P8ZK3QRM',
      EntityName: 'Bruno Silva',
      Entity: { email: 'bruno.silva@example.com', team: 'T02N1QY8B3F' },
    });
    expect(slackAuditEntity(row)).toMatchObject({ id: 'W02P8ZK3QRM', name: 'Bruno Silva', team: 'T02N1QY8B3F' });
  });

  it('anomaly: details land whole as compact dynamic, reason array included', () => {
    const entry = fixture('004-anomaly.json');
    const row = rowOf(entry);
    expect(row.Details).toEqual(entry.details);
    expect(row.Details).toMatchObject({ reason: ['tor', 'ip_address', 'asn'], action_timestamp: 1732262995118337 });
  });

  it('app_installed: context.app and app entity attributes are kept', () => {
    const row = rowOf(fixture('006-app-installed.json'));
    expect(row.App).toEqual({ id: 'A07K5M2N9PQ', name: 'Deploy Helper' });
    expect(row).toMatchObject({ EntityType: 'app', EntityId: 'A07K5M2N9PQ', EntityName: 'Deploy Helper' });
    expect(row.Entity).toMatchObject({
      scopes: ['chat:write', 'channels:history', 'files:read'],
      is_distributed: false,
    });
    expect(row.Details).toMatchObject({ installer_user_id: 'W01A2B3C4D5', granular_bot_token: true });
  });

  it('unknown action, entity type and actor type still land; unmapped fields go to Extra', () => {
    const row = rowOf(fixture('007-unknown-action-and-actor.json'));
    expect(row).toMatchObject({
      Action: 'huddle_transcript_exported',
      ActorType: 'service',
      ActorUserId: 'S05ZZTOP1',
      ActorUserName: 'Slack Connect service',
      EntityType: 'huddle_transcript',
      EntityId: 'HT0123ABC',
      Entity: { channel: 'C0559ABCDE', duration_sec: 1820 },
      Extra: { 'context.agent_message': 'exported on behalf of retention policy', surprise: { rollout: '2026-q4' } },
    });
    expect(row).not.toHaveProperty('UserAgent');
  });

  it('Slackbot acting: acting_agent and unknown actor fields are kept', () => {
    const row = rowOf(fixture('008-channel-join-by-slackbot.json'));
    expect(row.ActingAgent).toBe('Slackbot');
    expect(row.Extra).toEqual({ 'actor.user.account_type': 'bot' });
    expect(row.Details).toEqual({ is_workflow: false, inviter: { id: 'W01A2B3C4D5', name: 'Chen Wei' } });
    expect(row).not.toHaveProperty('ActorEmail');
  });

  it('a file title equal to its name is not stored twice', () => {
    const row = rowOf(fixture('010-file-public-link-created.json'));
    expect(row.EntityName).toBe('id_rsa');
    expect(row.Entity).toEqual({ filetype: 'text' });
  });

  it('rows share no objects with the input', () => {
    const entry = fixture('006-app-installed.json');
    const row = rowOf(entry);
    (entry.details as { new_scopes: string[] }).new_scopes.push('admin');
    expect((row.Details as { new_scopes: string[] }).new_scopes).toHaveLength(3);
  });
});

describe('toSlackAuditRow rejects malformed entries with a reason', () => {
  const base = (): Record<string, unknown> => fixture('001-file-downloaded.json');

  it.each([
    ['missing id', () => ({ ...base(), id: undefined }), /id/],
    ['empty id', () => ({ ...base(), id: '' }), /id/],
    ['date_create as a string', () => ({ ...base(), date_create: '1732262400' }), /date_create/],
    ['date_create in milliseconds', () => ({ ...base(), date_create: 1732262400000 }), /date_create/],
    ['date_create NaN', () => ({ ...base(), date_create: Number.NaN }), /date_create/],
    ['missing action', () => ({ ...base(), action: undefined }), /action/],
    ['actor not an object', () => ({ ...base(), actor: 'W02N4H7K1PA' }), /actor/],
    ['actor user id a number', () => ({ ...base(), actor: { type: 'user', user: { id: 42 } } }), /actor\.user\.id/],
    ['missing entity', () => ({ ...base(), entity: undefined }), /entity/],
    ['session_id an object', () => ({ ...base(), context: { session_id: { a: 1 } } }), /session_id/],
  ])('%s', (_name, make, pattern) => {
    expect(reasonOf(make())).toMatch(pattern);
  });

  it.each([null, undefined, 42, 'entry', [], [{ id: 'x' }], true])('non-object entry %j', (entry) => {
    expect(reasonOf(entry)).toMatch(/invalid Slack audit entry/);
  });
});

describe('hostile input never throws', () => {
  const base = (): Record<string, unknown> => fixture('001-file-downloaded.json');

  it('a huge user agent is cut to its column cap on a character boundary and flagged', () => {
    const entry = base();
    (entry.context as Record<string, unknown>).ua = '😀'.repeat(300_000);
    const row = rowOf(entry);
    const cap = streams.slackAudit.columns.find((c) => c.name === 'UserAgent')?.maxBytes ?? 0;
    expect(utf8Length(row.UserAgent ?? '')).toBeLessThanOrEqual(cap);
    expect(row.UserAgent).toMatch(/^(😀)+$/u);
    expect(row.TruncatedColumns).toEqual(['UserAgent']);
    expect(streams.slackAudit.schema.safeParse(row).success).toBe(true);
  });

  it('huge details become a valid marker within the field limit', () => {
    const entry = base();
    entry.details = { blob: 'x'.repeat(200_000), note: 'ünïcødé' };
    const row = rowOf(entry);
    expect(row.Details).toMatchObject({
      sentryTruncated: true,
      originalBytes: utf8Length(JSON.stringify(entry.details)),
    });
    expect(utf8Length(JSON.stringify(row.Details))).toBeLessThanOrEqual(FIELD_LIMIT_BYTES);
    expect(row.TruncatedColumns).toEqual(['Details']);
  });

  it('deeply nested details (deeper than JSON.stringify survives) become a marker', () => {
    const entry = base();
    let deep: unknown = 'bottom';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    entry.details = deep;
    const row = rowOf(entry);
    expect(row.Details).toMatchObject({ sentryTruncated: true });
    expect(() => JSON.stringify(row)).not.toThrow();
  });

  it('cyclic details and throwing getters become a marker', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const entry = base();
    entry.details = cyclic;
    expect(rowOf(entry).Details).toMatchObject({ sentryTruncated: true, originalBytes: -1 });

    const getter = base();
    getter.details = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('nope');
      },
    });
    expect(rowOf(getter).Details).toMatchObject({ sentryTruncated: true });
  });

  it('prototype-pollution keys stay ordinary data and pollute nothing', () => {
    const text =
      '{"id":"p1","date_create":1732262400,"action":"file_downloaded","__proto__":{"polluted":"top"},' +
      '"actor":{"type":"user","user":{"id":"W1","__proto__":{"polluted":"user"}}},' +
      '"entity":{"type":"__proto__","__proto__":{"id":"F1","constructor":{"prototype":{"polluted":"ctor"}}}},' +
      '"context":{"constructor":{"prototype":{"polluted":"ctx"}}},' +
      '"details":{"__proto__":{"polluted":"details"},"constructor":"x"}}';
    const row = rowOf(JSON.parse(text));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(row.EntityType).toBe('__proto__');
    expect(row.EntityId).toBe('F1');
    expect(JSON.stringify(row.Details)).toBe('{"__proto__":{"polluted":"details"},"constructor":"x"}');
    const extra = JSON.stringify(row.Extra);
    expect(extra).toContain('"__proto__":{"polluted":"top"}');
    expect(extra).toContain('"actor.user.__proto__":{"polluted":"user"}');
    expect(extra).toContain('"context.constructor"');
    expect(streams.slackAudit.schema.safeParse(row).success).toBe(true);
  });

  it('a Proxy whose traps throw is rejected, not thrown', () => {
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    expect(reasonOf(trap)).toMatch(/trap|invalid/);
  });

  it('unicode survives intact', () => {
    const entry = base();
    (entry.actor as { user: Record<string, unknown> }).user.name = 'Zoë 🚀 山田 \u202Eevil';
    expect(rowOf(entry).ActorUserName).toBe('Zoë 🚀 山田 \u202Eevil');
  });
});

describe('transformSlackAuditEntries', () => {
  it('valid entries become rows and the rest quarantine rows, in order', () => {
    const good = fixture('002-user-login.json');
    const bad = { ...good, id: undefined };
    const { rows, quarantine } = transformSlackAuditEntries([good, bad, 'junk', good], {
      sourceOrg: 'E02N1QXMZ7K',
      at: '2026-11-22T10:00:00Z',
    });
    expect(rows.map((r) => r.EventId)).toEqual([good.id, good.id]);
    expect(quarantine).toHaveLength(2);
    expect(quarantine[0]).toMatchObject({ Source: 'slackAudit', TimeGenerated: '2026-11-22T10:00:00Z' });
    expect(quarantine[0]?.Reason).toMatch(/^invalid Slack audit entry: id/);
    expect(quarantine[1]?.Raw).toBe('"junk"');
  });
});

describe('isoFromUnixSeconds', () => {
  it('matches Date for whole and fractional seconds, without a .000 fraction', () => {
    for (const s of [0, 86_399, 951_782_400, 1_732_262_400, 4_102_444_799]) {
      expect(isoFromUnixSeconds(s)).toBe(new Date(s * 1000).toISOString().replace('.000Z', 'Z'));
    }
    expect(isoFromUnixSeconds(1_732_262_400.25)).toBe('2024-11-22T08:00:00.250Z');
  });
});
