import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, fileEntity, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { archiveUploadBurst } from './archive-upload-burst';

const exts = ['zip', '7z', 'tar.gz', 'rar', 'tgz'];
const archives = (n: number, step = 30) =>
  series(n, T0, step, (i) => ({
    action: 'file_uploaded',
    entity: fileEntity(`FA${String(i)}`, `dump-${String(i)}.${exts[i % exts.length] ?? 'zip'}`),
  }));

thresholdSuite(archiveUploadBurst, { threshold: 10, make: (n) => archives(n), subjectId: ALICE.id });

describe('slack.audit.archive-upload-burst', () => {
  it('needs the uploads inside 15 minutes', async () => {
    expect(await raise(archiveUploadBurst, archives(11, 100))).toEqual([]);
  });

  it('ignores documents, downloads of archives, and lowercase .z (Sentinel lists compress .Z only)', async () => {
    const docs = series(20, T0, 10, (i) => ({
      action: 'file_uploaded',
      entity: fileEntity(`FD${String(i)}`, 'a.pdf'),
    }));
    const dl = series(20, T0, 10, (i) => ({
      action: 'file_downloaded',
      entity: fileEntity(`FZ${String(i)}`, 'a.zip'),
    }));
    const z = series(20, T0, 10, (i) => ({ action: 'file_uploaded', entity: fileEntity(`Fz${String(i)}`, 'a.z') }));
    expect(await raise(archiveUploadBurst, [...docs, ...dl, ...z])).toEqual([]);
    const bigZ = series(11, T0, 10, (i) => ({ action: 'file_uploaded', entity: fileEntity(`FZZ${String(i)}`, 'a.Z') }));
    expect(await raise(archiveUploadBurst, bigZ)).toHaveLength(1);
  });
});
