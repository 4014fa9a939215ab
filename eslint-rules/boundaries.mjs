/**
 * The architecture as a lint rule: which parts of `src/` may import which. Relative imports are
 * resolved against the importing file, so `../slack/common` inside `src/detections/meraki/` is the
 * detection helper it is and not the Slack delivery module. Test files (`*.test.ts`) are exempt:
 * they wire real pieces together on purpose. test/architecture.test.ts plants a violation of each
 * boundary and expects this rule to report it.
 */
import path from 'node:path';

/** Modules whose runtime import means I/O (network, files, processes, cloud SDKs). */
const IO_MODULES = [
  /^node:(fs|net|http|https|http2|dgram|dns|tls|child_process|cluster|worker_threads)(\/|$)/,
  /^(fs|net|http|https|child_process)$/,
  /^@azure\//,
  /^@slack\//,
  /^durable-functions$/,
];

/** Directories of `src/` that do I/O or wire the app together. */
const WIRING = ['src/activities/', 'src/functions/', 'src/state/', 'src/ingestion/', 'src/collectors/', 'src/ops/'];

export const ZONES = [
  {
    name: 'shipped code',
    files: 'src/',
    forbidPaths: ['dev/', 'test/', 'bench/', 'scripts/', 'infra/'],
    forbidModules: [],
    why: 'src/ ships to Azure; dev/, test/, bench/ and scripts/ do not (test doubles live in test/helpers/).',
  },
  {
    name: 'orchestrators',
    files: 'src/orchestrators/',
    forbidPaths: [...WIRING, 'src/config/', 'src/evaluation/', 'src/detections/', 'src/azure-credential.ts'],
    // durable-functions is the orchestration SDK itself (RetryOptions, Task types), not I/O.
    forbidModules: [/^node:/, ...IO_MODULES.filter((re) => !re.test('durable-functions'))],
    typeImportsAllowed: true,
    why: 'orchestrators replay deterministically: they import src/contracts.ts and pure modules only, and reach I/O through activities.',
  },
  {
    name: 'detections',
    files: 'src/detections/',
    forbidPaths: [
      ...WIRING,
      'src/slack/',
      'src/response/',
      'src/evaluation/',
      'src/orchestrators/',
      'src/contracts.ts',
    ],
    // node:fs stays allowed: config.ts reads the detections settings file once at start-up.
    forbidModules: [
      /^node:(net|http|https|http2|dgram|dns|tls|child_process|cluster|worker_threads)(\/|$)/,
      ...IO_MODULES.slice(1),
    ],
    why: 'a detection says what is suspicious; storing windows, posting to Slack and responding belong to evaluation, slack and response.',
  },
  {
    name: 'transforms',
    files: 'src/transforms/',
    forbidPaths: [...WIRING, 'src/slack/', 'src/response/', 'src/evaluation/', 'src/orchestrators/', 'src/config/'],
    forbidModules: IO_MODULES,
    why: 'transforms turn records into rows and do no I/O.',
  },
];

function posix(p) {
  return p.split(path.sep).join('/');
}

function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

/** The zone violations of one import: `file` and the answer are paths relative to the repository root. */
export function violations(file, specifier, typeOnly, zones = ZONES) {
  if (file.endsWith('.test.ts')) return [];
  const relative = specifier.startsWith('.');
  const target = relative
    ? posix(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)))
    : specifier;
  const found = [];
  for (const zone of zones) {
    if (!file.startsWith(zone.files)) continue;
    if (typeOnly && zone.typeImportsAllowed) continue;
    const hit = relative
      ? zone.forbidPaths.some((p) =>
          p.endsWith('/') ? `${target}/`.startsWith(p) : target === p.replace(/\.ts$/, '') || target === p,
        )
      : zone.forbidModules.some((re) => re.test(specifier));
    if (hit) found.push({ zone, target });
  }
  return found;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep the layers of src/ apart (see eslint-rules/boundaries.mjs).' },
    messages: { boundary: '{{name}} may not import "{{target}}": {{why}}' },
    schema: [],
  },
  create(context) {
    const file = posix(path.relative(context.cwd, context.filename));
    const check = (node, source, typeOnly) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      for (const { zone, target } of violations(file, source.value, typeOnly)) {
        context.report({ node: source, messageId: 'boundary', data: { name: zone.name, target, why: zone.why } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source, isTypeOnly(node)),
      ExportNamedDeclaration: (node) => check(node, node.source, isTypeOnly(node)),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
      TSImportEqualsDeclaration: (node) => check(node, node.moduleReference?.expression, node.importKind === 'type'),
    };
  },
};

export const plugin = { meta: { name: 'sentry-boundaries' }, rules: { boundaries: rule } };

/** The flat-config block eslint.config.mjs uses and the architecture test lints planted files with. */
export const boundariesConfig = {
  files: ['src/**/*.ts'],
  ignores: ['src/**/*.test.ts'],
  plugins: { sentry: plugin },
  rules: { 'sentry/boundaries': 'error' },
};
