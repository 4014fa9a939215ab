import { describe, expect, it } from 'vitest';

import { singleEventSuite } from '../../../test/helpers/detection-suite';
import { ALICE, auditRow, BOB, raise, userEntity } from '../../../test/helpers/detection-testkit';
import { manualExportDownloaded } from './manual-export-downloaded';

singleEventSuite(manualExportDownloaded, [
  {
    name: 'manual_export_downloaded',
    row: auditRow({
      action: 'manual_export_downloaded',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'manual_user_export_downloaded',
    row: auditRow({
      action: 'manual_user_export_downloaded',
      actor: ALICE,
      entity: { type: 'enterprise', enterprise: { id: 'E0ACME', name: 'Acme', domain: 'acme' } },
    }),
    severity: 'high',
    subjectId: ALICE.id,
  },
  {
    name: 'a scheduled export (scheduled_export_downloaded)',
    row: auditRow({ action: 'scheduled_export_downloaded', actor: ALICE, entity: userEntity(BOB) }),
  },
]);

describe('manualExportDownloaded configuration', () => {
  it('ignores listed actors', async () => {
    const row = auditRow({ action: 'manual_export_downloaded', actor: ALICE });
    expect(await raise(manualExportDownloaded, [row], { ignoreActorIds: [ALICE.id] })).toEqual([]);
    expect(await raise(manualExportDownloaded, [row])).toHaveLength(1);
  });
});
