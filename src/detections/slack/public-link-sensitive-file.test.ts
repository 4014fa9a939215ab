import { describe, expect, it } from 'vitest';

import { ALICE, auditRow, fileEntity, raise } from '../../../test/helpers/detection-testkit';
import { publicLinkSensitiveFile } from './public-link-sensitive-file';

const link = (name: string, action = 'file_public_link_created') =>
  auditRow({ action, entity: fileEntity(`F-${name}`, name) });

describe('slack.audit.public-link-sensitive-file', () => {
  it.each(['id_rsa', 'prod.npmrc', 'config.json', 'Database PASSWORD list.txt', '.netrc'])(
    'raises for %s',
    async (name) => {
      const [f] = await raise(publicLinkSensitiveFile, [link(name)]);
      expect(f?.subject.id).toBe(ALICE.id);
      expect(f?.severity).toBe('medium');
      expect(f?.title).toContain(name);
    },
  );

  it.each(['deploy key.pem', 'prod.env', 'api_key.txt', 'passwords.kdbx'])('raises for %s', async (name) => {
    expect(await raise(publicLinkSensitiveFile, [link(name)])).toHaveLength(1);
  });

  it('ignores ordinary names and other actions on sensitive names', async () => {
    expect(
      await raise(publicLinkSensitiveFile, [
        link('Webinar deck.pdf'),
        // `key` inside a word is not a key: Sentinel's substring match fired on these.
        link('Keynote Q3.pdf'),
        link('Keyboard shortcuts.pdf'),
        link('Monkey business.pptx'),
        link('id_rsa', 'file_shared'),
        link('id_rsa', 'file_public_link_revoked'),
      ]),
    ).toEqual([]);
  });

  it('takes its pattern list from configuration', async () => {
    expect(publicLinkSensitiveFile.defaults.patterns).toContain('id_rsa');
    expect(await raise(publicLinkSensitiveFile, [link('payroll.xlsx')])).toEqual([]);
    expect(await raise(publicLinkSensitiveFile, [link('payroll.xlsx')], { patterns: ['payroll'] })).toHaveLength(1);
  });

  it('keys by the user who made the links', async () => {
    const [f] = await raise(publicLinkSensitiveFile, [link('id_rsa'), link('id_rsa.pub')]);
    expect(f?.dedupeKey).toBe(ALICE.id);
    expect(f?.count).toBe(2);
  });
});
