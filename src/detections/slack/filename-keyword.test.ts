import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, fileEntity, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { filenameKeyword } from './filename-keyword';

const names = [
  'Payroll March.xlsx',
  'prod passwords.txt',
  'Confidential board.pdf',
  'Salary bands.csv',
  'merger model.xlsx',
];
const keywordDownloads = (n: number) =>
  series(n, T0, 3_600, (i) => ({
    action: 'file_downloaded',
    entity: fileEntity(`FK${String(i)}`, names[i % names.length] ?? 'secret.txt'),
  }));

thresholdSuite(filenameKeyword, { threshold: 10, make: keywordDownloads, subjectId: ALICE.id });

describe('slack.audit.filename-keyword', () => {
  it('excludes images and video, and names without keywords', async () => {
    const media = series(15, T0, 60, (i) => ({
      action: 'file_downloaded',
      entity: fileEntity(`FM${String(i)}`, i % 2 ? 'salary chart.png' : 'merger video.mp4'),
    }));
    // Keywords inside other words are not keywords (secretary, lessons, passwordless).
    const lookalikes = ['weekly notes.docx', 'Secretary rota.docx', 'Lessons learned.pdf', 'Passwordless rollout.pdf'];
    const neutral = series(16, T0, 60, (i) => ({
      action: 'file_downloaded',
      entity: fileEntity(`FN${String(i)}`, lookalikes[i % lookalikes.length] ?? ''),
    }));
    expect(await raise(filenameKeyword, [...media, ...neutral])).toEqual([]);
  });

  it('matches keywords case-insensitively and takes a custom list', async () => {
    const rows = series(11, T0, 60, (i) => ({
      action: 'file_downloaded',
      entity: fileEntity(`FX${String(i)}`, `PROJECT-X roadmap ${String(i)}.pdf`),
    }));
    expect(await raise(filenameKeyword, rows)).toEqual([]);
    const [f] = await raise(filenameKeyword, rows, { keywords: ['project-x'] });
    expect(f?.count).toBe(11);
    expect(f?.evidence.files).toContain('PROJECT-X roadmap 0.pdf (project-x)');
  });

  it('can count media too when the exclusions are emptied', async () => {
    const media = series(11, T0, 60, (i) => ({
      action: 'file_downloaded',
      entity: fileEntity(`FM${String(i)}`, 'salary chart.png'),
    }));
    expect(await raise(filenameKeyword, media, { excludedExtensions: [] })).toHaveLength(1);
  });
});
