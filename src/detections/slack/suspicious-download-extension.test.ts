import { describe, expect, it } from 'vitest';

import { auditRow, fileEntity, raise } from '../../../test/helpers/detection-testkit';
import { suspiciousDownloadExtension } from './suspicious-download-extension';

const download = (name: string) => auditRow({ action: 'file_downloaded', entity: fileEntity(`F-${name}`, name) });

describe('slack.audit.suspicious-download-extension', () => {
  it.each(['setup.exe', 'run.ps1', 'image.iso', 'macro.xlsm', 'Invoice.HTA'])(
    'raises (medium) for %s',
    async (name) => {
      const [f] = await raise(suspiciousDownloadExtension, [download(name)]);
      expect(f?.severity).toBe('medium');
    },
  );

  it('raises high for a double extension disguising an executable', async () => {
    const [f] = await raise(suspiciousDownloadExtension, [download('invoice.pdf.exe')]);
    expect(f?.severity).toBe('high');
    expect(f?.evidence.files).toEqual(['invoice.pdf.exe (double extension)']);
    const [plain] = await raise(suspiciousDownloadExtension, [download('invoice.pdf.exe')], {
      doubleExtensions: false,
    });
    expect(plain?.severity).toBe('medium');
  });

  it('ignores documents, images and uploads of executables (Sentinel’s 1–4 letter rule matched these)', async () => {
    const rows = [
      download('plan.pdf'),
      download('photo.jpeg'),
      download('notes.docx'),
      auditRow({ action: 'file_uploaded', entity: fileEntity('F1', 'a.exe') }),
    ];
    expect(await raise(suspiciousDownloadExtension, rows)).toEqual([]);
  });

  it('takes its extension list from configuration', async () => {
    expect(await raise(suspiciousDownloadExtension, [download('tool.exe')], { extensions: ['dll'] })).toEqual([]);
  });
});
