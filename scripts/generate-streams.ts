/**
 * Writes the DCR stream declarations, data flows and table definitions derived from
 * `src/transforms/streams.ts` into `infra/bicep/generated/`. Run: `npm run gen:streams`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GENERATED_DIR, renderStreamArtifacts } from '../src/transforms/stream-artifacts';

const dir = resolve(__dirname, '..', GENERATED_DIR);
mkdirSync(dir, { recursive: true });
for (const [name, content] of Object.entries(renderStreamArtifacts())) {
  writeFileSync(join(dir, name), content);
  console.log(`wrote ${join(GENERATED_DIR, name)}`);
}
