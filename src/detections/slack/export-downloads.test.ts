import { describe, expect, it } from 'vitest';

import { thresholdSuite } from '../../../test/helpers/detection-suite';
import { ALICE, raise, series, T0 } from '../../../test/helpers/detection-testkit';
import { EXPORT_ACTIONS, exportDownloads } from './export-downloads';

const exportsOf = (n: number) =>
  series(n, T0, 600, (i) => ({
    action: EXPORT_ACTIONS[i % EXPORT_ACTIONS.length] ?? 'manual_export_downloaded',
    entity: { type: 'workspace', workspace: { id: 'T0ACME', name: 'Acme', domain: 'acme' } },
  }));

thresholdSuite(exportDownloads, { threshold: 5, make: exportsOf, subjectId: ALICE.id });

describe('slack.audit.export-downloads', () => {
  it('ignores export creation and other downloads', async () => {
    const rows = series(10, T0, 60, (i) => ({ action: i % 2 ? 'manual_export_started' : 'file_downloaded' }));
    expect(await raise(exportDownloads, rows)).toEqual([]);
  });
});
