/**
 * The app's modules as deployed: the compiled JavaScript under dist/ (`npm run bench` builds it
 * first), not the TypeScript sources through tsx, whose transpiled output and source-map support
 * cost measurably more per event. Types come from the sources.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// A worker compiled by `compileWorker` runs from elsewhere and is told where the build is.
const DIST = process.env.BENCH_APP_DIST ?? join(__dirname, '..', '..', 'dist', 'src');

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T names the module's type at each call site
function load<T>(relative: string): T {
  const file = join(DIST, `${relative}.js`);
  const path = existsSync(file) ? file : join(DIST, relative, 'index.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` (npm run bench does) first`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled app, loaded at run time
  return require(path) as T;
}

export const app = {
  collectSlackAudit: () =>
    load<typeof import('../../src/activities/collect-slack-audit')>('activities/collect-slack-audit'),
  collectMeraki: () => load<typeof import('../../src/activities/collect-meraki')>('activities/collect-meraki'),
  cycleActivities: () => load<typeof import('../../src/activities/cycle-activities')>('activities/cycle-activities'),
  budget: () => load<typeof import('../../src/collectors/budget')>('collectors/budget'),
  slackAuditClient: () =>
    load<typeof import('../../src/collectors/slack-audit/client')>('collectors/slack-audit/client'),
  merakiClient: () => load<typeof import('../../src/collectors/meraki/client')>('collectors/meraki/client'),
  config: () => load<typeof import('../../src/config')>('config'),
  backfill: () => load<typeof import('../../src/orchestrators/backfill')>('orchestrators/backfill'),
  names: () => load<typeof import('../../src/contracts')>('contracts'),
  slackAuditTransform: () => load<typeof import('../../src/transforms/slack-audit')>('transforms/slack-audit'),
  checkpoints: () => load<typeof import('../../src/state/checkpoints')>('state/checkpoints'),
  merakiState: () => load<typeof import('../../src/state/meraki-state')>('state/meraki-state'),
};
