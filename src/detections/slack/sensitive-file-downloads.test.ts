import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, fileEntity, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { sensitiveFileDownloads } from './sensitive-file-downloads';

const vitals = (n: number) =>
  series(n, T0, 86_400, (i) => ({
    action: 'file_downloaded',
    entity: fileEntity(`FV${String(i)}`, `gopuff_daily_vitals_${String(i)}.xlsx`),
  }));
const plain = (n: number, prefix = 'FP') =>
  series(n, T0, 3_600, (i) => ({
    action: 'file_downloaded',
    entity: fileEntity(`${prefix}${String(i)}`, `notes-${String(i)}.pdf`),
  }));

thresholdSuite(sensitiveFileDownloads, {
  threshold: 10,
  make: vitals,
  subjectId: ALICE.id,
  base: { sensitiveFileNamePatterns: ['daily_vitals'] },
});

describe('slack.audit.sensitive-file-downloads', () => {
  it('is inert until something is configured as sensitive', async () => {
    expect(await raise(sensitiveFileDownloads, vitals(20))).toEqual([]);
  });

  it('matches configured file ids', async () => {
    const rows = plain(11);
    const ids = rows.map((r) => r.EntityId ?? '');
    expect(await raise(sensitiveFileDownloads, rows, { sensitiveFileIds: ids })).toHaveLength(1);
    expect(await raise(sensitiveFileDownloads, rows, { sensitiveFileIds: ids.slice(1) })).toEqual([]);
  });

  it('resolves channels through the injected files.info lookup, once per file', async () => {
    const lookups: string[] = [];
    const resolveFileChannels = (id: string) => {
      lookups.push(id);
      return Promise.resolve(id.startsWith('FS') ? ['C0LEGAL', 'C0GENERAL'] : ['C0GENERAL']);
    };
    const rows = [...plain(11, 'FS'), ...plain(11, 'FS'), ...plain(30, 'FN')];
    const findings = await raise(
      sensitiveFileDownloads,
      rows,
      { sensitiveChannelIds: ['C0LEGAL'] },
      { resolveFileChannels },
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]?.count).toBe(22);
    expect(findings[0]?.evidence.files).toContain('notes-0.pdf (channel C0LEGAL)');
    expect(new Set(lookups).size).toBe(lookups.length);
  });

  it('treats a file whose channels cannot be resolved as not sensitive (and needs no lookup without channels)', async () => {
    const unknown = () => Promise.resolve(undefined);
    expect(
      await raise(
        sensitiveFileDownloads,
        plain(15),
        { sensitiveChannelIds: ['C0LEGAL'] },
        { resolveFileChannels: unknown },
      ),
    ).toEqual([]);
    expect(await raise(sensitiveFileDownloads, plain(15), { sensitiveChannelIds: ['C0LEGAL'] })).toEqual([]);
  });

  it('fails the flush (so the checkpoint does not advance) when the lookup fails', async () => {
    const failing = () => Promise.reject(new Error('files.info unavailable'));
    await expect(
      raise(sensitiveFileDownloads, plain(1), { sensitiveChannelIds: ['C0LEGAL'] }, { resolveFileChannels: failing }),
    ).rejects.toThrow('files.info unavailable');
  });

  it('uses a 14-day window: 11 downloads over 15 days do not fire', async () => {
    const rows = series(11, T0, 36 * 3_600, (i) => ({
      action: 'file_downloaded',
      entity: fileEntity(`FV${String(i)}`, 'daily_vitals.xlsx'),
    }));
    expect(await raise(sensitiveFileDownloads, rows, { sensitiveFileNamePatterns: ['daily_vitals'] })).toEqual([]);
  });
});
