import { describe, expect, it } from 'vitest';

import { ALICE, auditRow, BOB, fileEntity, raise, T0 } from '../../../test/helpers/detection-testkit';
import { suspiciousDownloadExtension } from './suspicious-download-extension';

const DAY = 86_400;
let seq = 0;
const file = (action: string, name: string, t = T0, who = ALICE) =>
  auditRow({ action, t, actor: who, entity: fileEntity(`F${String((seq += 1))}`, name) });
const download = (name: string, t = T0, who = ALICE) => file('file_downloaded', name, t, who);

/** A quiet first day and a last one 15 days later: the history the code check needs. */
const history = [download('notes.docx', T0 - 15 * DAY, BOB)];

describe('slack.audit.suspicious-download-extension', () => {
  it.each(['setup.exe', 'image.iso', 'macro.xlsm', 'Invoice.HTA', 'helper.dll'])(
    'raises (medium) for an executable: %s, from the first day',
    async (name) => {
      const [f] = await raise(suspiciousDownloadExtension, [download(name)]);
      expect(f?.severity).toBe('medium');
    },
  );

  it('raises high for a double extension disguising an executable or a script', async () => {
    for (const name of ['invoice.pdf.exe', 'report.pdf.js']) {
      const [f] = await raise(suspiciousDownloadExtension, [download(name)]);
      expect(f?.severity, name).toBe('high');
      expect(f?.evidence.files).toEqual([`${name} (double extension)`]);
    }
    const [plain] = await raise(suspiciousDownloadExtension, [download('invoice.pdf.exe')], {
      doubleExtensions: false,
    });
    expect(plain?.severity).toBe('medium');
  });

  it('an engineer downloading deploy.sh and webpack.config.js is ordinary', async () => {
    const engineer = [
      ...history,
      file('file_uploaded', 'migrate.py', T0 - 5 * DAY),
      download('deploy.sh'),
      download('webpack.config.js', T0 + 600),
    ];
    expect(await raise(suspiciousDownloadExtension, engineer)).toEqual([]);
  });

  it('code downloaded by someone who touched no code in two weeks is suspicious (low)', async () => {
    const [f] = await raise(suspiciousDownloadExtension, [...history, download('run.ps1')]);
    expect(f).toMatchObject({ severity: 'low', subject: { id: ALICE.id } });
    expect(f?.why).toContain('touched no code');
  });

  it('judges "new to code" only once two weeks of history exist (no alerts on day one)', async () => {
    expect(await raise(suspiciousDownloadExtension, [download('deploy.sh')])).toEqual([]);
  });

  it('a burst of archives is suspicious; five in an hour is not (near miss)', async () => {
    const five = Array.from({ length: 5 }, (_, i) => download(`export-${String(i)}.zip`, T0 + i * 300));
    expect(await raise(suspiciousDownloadExtension, five)).toEqual([]);
    const six = Array.from({ length: 6 }, (_, i) => download(`export-${String(i)}.zip`, T0 + i * 300));
    const [f] = await raise(suspiciousDownloadExtension, six);
    expect(f?.count).toBe(6);
    expect(f?.why).toContain('a burst of archives');
  });

  it('ignores documents, images and uploads of executables', async () => {
    const rows = [download('plan.pdf'), download('photo.jpeg'), download('notes.docx'), file('file_uploaded', 'a.exe')];
    expect(await raise(suspiciousDownloadExtension, rows)).toEqual([]);
  });

  it('takes its extension lists from configuration', async () => {
    expect(await raise(suspiciousDownloadExtension, [download('tool.exe')], { executableExtensions: ['dll'] })).toEqual(
      [],
    );
  });
});
