/**
 * Sentinel "Suspicious file downloaded", made useful: Sentinel's `^[A-Za-z]{1,4}$` matches almost
 * any extension, so this rule uses a list of executable/script/disk-image extensions, plus double
 * extensions (`invoice.pdf.exe`, Sentinel's hunting query).
 */
import { defineDetection, fields } from '../define';
import { actorSubject, eventObservation, extensionOf, fileName } from './common';

export const SUSPICIOUS_EXTENSIONS = [
  'exe',
  'dll',
  'scr',
  'com',
  'pif',
  'cpl',
  'msi',
  'msp',
  'bat',
  'cmd',
  'ps1',
  'psm1',
  'vbs',
  'vbe',
  'js',
  'jse',
  'wsf',
  'wsh',
  'hta',
  'lnk',
  'jar',
  'iso',
  'img',
  'vhd',
  'vhdx',
  'apk',
  'dmg',
  'pkg',
  'app',
  'sh',
  'elf',
  'reg',
  'xll',
  'xlam',
  'docm',
  'xlsm',
  'pptm',
  'one',
  'chm',
] as const;

const DOCUMENT_LIKE = new Set([
  'pdf',
  'doc',
  'docx',
  'xls',
  'xlsx',
  'ppt',
  'pptx',
  'txt',
  'csv',
  'jpg',
  'jpeg',
  'png',
  'gif',
  'zip',
  'rtf',
]);

export const suspiciousDownloadExtension = defineDetection({
  id: 'slack.audit.suspicious-download-extension',
  title: 'Slack download of an executable or disguised file',
  description:
    'A user downloaded a file with an executable, script or disk-image extension, or a double extension disguising one (report.pdf.exe).',
  severity: 'medium',
  mitre: ['TA0002:T1204.002'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_downloaded'],
  config: {
    windowMinutes: fields.minutes(60),
    extensions: fields.list(SUSPICIOUS_EXTENSIONS),
    /** Raise severity when the executable extension hides behind a document one. */
    doubleExtensions: fields.flag(true),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const name = fileName(row);
    const subject = actorSubject(row);
    if (name === undefined || subject === undefined) return null;
    const ext = extensionOf(name);
    const suspicious = config.extensions.some((e) => e.toLowerCase() === ext);
    const inner = extensionOf(name.slice(0, name.length - ext.length - 1));
    const disguised = config.doubleExtensions && suspicious && DOCUMENT_LIKE.has(inner);
    if (!suspicious) return null;
    return eventObservation(row, subject.id, subject, `${name}${disguised ? ' (double extension)' : ''}`);
  },
  window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
  present(crossing, window) {
    const files = crossing.items.map((i) => i.label ?? i.item);
    return {
      severity: files.some((f) => f.endsWith('(double extension)')) ? 'high' : 'medium',
      title: `${window.subject.name ?? window.subject.id} downloaded ${files.length === 1 ? (files[0] ?? 'a file') : `${files.length} executable files`}`,
      evidence: { files },
    };
  },
});
