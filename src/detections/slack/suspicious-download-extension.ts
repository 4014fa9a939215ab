/**
 * Sentinel "Suspicious file downloaded", made quiet on an ordinary org. Engineers download scripts
 * and source code every day, so a code extension alone is not suspicious. A download is when it is:
 * - an executable, installer, disk image, macro document or shortcut (`executableExtensions`);
 * - disguised behind a document extension (`invoice.pdf.exe`, `report.pdf.js`: Sentinel's hunting
 *   query);
 * - one of a burst of archives (more than `archiveBurst` within `archiveBurstMinutes`);
 * - code or a script (`codeExtensions`) downloaded by a user who touched no code file (downloaded,
 *   uploaded or shared one) in the previous `codeHistoryDays`. Judged once the detection holds
 *   `codeHistoryDays` of history (a backfill brings it), so nobody is "new to code" on day one.
 */
import { type Crossing, defineDetection, fields, type ItemState } from '../define';
import { countCrossing } from '../window-math';
import { actorSubject, eventObservation, extensionOf, fileName } from './common';
import { ARCHIVE_EXTENSIONS } from './archive-upload-burst';

const DAY = 86_400;

export const EXECUTABLE_EXTENSIONS = [
  'exe',
  'dll',
  'scr',
  'com',
  'pif',
  'cpl',
  'msi',
  'msp',
  'msix',
  'appx',
  'vbs',
  'vbe',
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

export const CODE_EXTENSIONS = [
  'sh',
  'bash',
  'zsh',
  'ps1',
  'psm1',
  'bat',
  'cmd',
  'js',
  'mjs',
  'cjs',
  'ts',
  'py',
  'rb',
  'pl',
  'php',
  'go',
  'rs',
  'java',
  'kt',
  'swift',
  'c',
  'cc',
  'cpp',
  'h',
  'hpp',
  'cs',
  'sql',
  'tf',
  'yaml',
  'yml',
  'toml',
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

/** Item kinds: `x` executable or disguised download, `a` archive download, `c` code download, `k` code touched otherwise. */
type Kind = 'x' | 'a' | 'c' | 'k';
const kindOf = (i: ItemState): Kind => i.item.slice(0, 1) as Kind;

export const suspiciousDownloadExtension = defineDetection({
  id: 'slack.audit.suspicious-download-extension',
  title: 'Slack download of an executable or disguised file',
  description:
    'A user downloaded an executable, installer or disk image, a file whose document extension disguises one (report.pdf.exe), a burst of archives, or code although they never work with code.',
  severity: 'medium',
  mitre: ['TA0002:T1204.002'],
  entities: { actor: 'suspect', sourceIp: 'context' },
  streams: ['slackAudit'],
  actions: ['file_downloaded', 'file_uploaded', 'file_shared'],
  learningDays: (c) => c.codeHistoryDays,
  config: {
    windowMinutes: fields.minutes(60),
    executableExtensions: fields.list(EXECUTABLE_EXTENSIONS),
    codeExtensions: fields.list(CODE_EXTENSIONS),
    archiveExtensions: fields.list(ARCHIVE_EXTENSIONS),
    /** More archive downloads than this within `archiveBurstMinutes` are a burst. */
    archiveBurst: fields.threshold(5),
    archiveBurstMinutes: fields.minutes(60),
    /** A code download is suspicious from a user with no code activity in this many days before it. */
    codeHistoryDays: fields.days(14),
    /** Raise severity when the extension hides behind a document one. */
    doubleExtensions: fields.flag(true),
  },
  match(input, config) {
    if (input.stream !== 'slackAudit') return null;
    const row = input.row;
    const name = fileName(row);
    const subject = actorSubject(row);
    if (name === undefined || subject === undefined) return null;
    const ext = extensionOf(name);
    const has = (list: readonly string[]) => list.some((e) => e.toLowerCase() === ext);
    const executable = has(config.executableExtensions);
    const code = has(config.codeExtensions);
    const inner = extensionOf(name.slice(0, name.length - ext.length - 1));
    const disguised = config.doubleExtensions && (executable || code) && DOCUMENT_LIKE.has(inner);
    const observe = (kind: Kind, label: string) => ({
      ...eventObservation(row, subject.id, subject, label),
      item: `${kind}:${row.EventId}`,
    });
    if (row.Action !== 'file_downloaded') return code ? observe('k', name) : null;
    if (executable || disguised) return observe('x', `${name}${disguised ? ' (double extension)' : ''}`);
    if (has(config.archiveExtensions)) return observe('a', `${name} (archive)`);
    if (code) return observe('c', `${name} (code)`);
    return null;
  },
  window: {
    kind: 'custom',
    windowSeconds: (c) => c.windowMinutes * 60,
    retentionSeconds: (c) => c.codeHistoryDays * DAY,
    bucketSeconds: DAY,
    evaluate(window, config, env): Crossing | null {
      const since = env.since ?? -Infinity;
      const suspicious: ItemState[] = window.items.filter((i) => kindOf(i) === 'x' && i.t > since);
      const archives = countCrossing(
        { ...window, items: window.items.filter((i) => kindOf(i) === 'a'), overflow: [] },
        config.archiveBurstMinutes * 60,
        config.archiveBurst,
        env.since,
      );
      if (archives !== null) suspicious.push(...archives.items);
      const history = config.codeHistoryDays * DAY;
      for (const i of window.items) {
        if (kindOf(i) !== 'c' || i.t <= since) continue;
        if (env.observingSince === undefined || i.t - history < env.observingSince) continue;
        const touched = window.items.some(
          (o) => (kindOf(o) === 'c' || kindOf(o) === 'k') && o.t < i.t && o.t >= i.t - history,
        );
        if (!touched) suspicious.push(i);
      }
      if (suspicious.length === 0) return null;
      const items = [...new Map(suspicious.map((i) => [i.item, i])).values()].sort((a, b) => a.t - b.t);
      return {
        count: items.length,
        newItems: items.filter((i) => i.t > since).length,
        firstSeen: items[0]?.t ?? 0,
        lastSeen: items[items.length - 1]?.t ?? 0,
        items,
      };
    },
  },
  present(crossing, window) {
    const files = crossing.items.map((i) => i.label ?? i.item);
    const kinds = new Set(crossing.items.map(kindOf));
    const why = [
      kinds.has('x') ? 'an executable or disguised file' : '',
      kinds.has('a') ? 'a burst of archives' : '',
      kinds.has('c') ? 'code, by a user who touched no code file in the previous two weeks' : '',
    ].filter((w) => w !== '');
    return {
      severity: files.some((f) => f.endsWith('(double extension)')) ? 'high' : kinds.has('x') ? 'medium' : 'low',
      title: `${window.subject.name ?? window.subject.id} downloaded ${files.length === 1 ? (files[0] ?? 'a file') : `${files.length} suspicious files`}`,
      why: `Downloaded ${why.join(', ')}.`,
      evidence: { files },
    };
  },
});
