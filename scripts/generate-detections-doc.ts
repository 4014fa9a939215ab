/** Writes the detection catalogue into docs/detections.md from the registry. Run: `npm run gen:detections`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { renderDetectionCatalogue, withCatalogue } from '../src/detections/catalogue';
import { DETECTIONS } from '../src/detections/registry';

async function main(): Promise<void> {
  const path = resolve(__dirname, '..', 'docs', 'detections.md');
  const text = withCatalogue(readFileSync(path, 'utf8'), renderDetectionCatalogue(DETECTIONS));
  writeFileSync(path, await format(text, { ...(await resolveConfig(path)), filepath: path }));
  console.log('wrote docs/detections.md');
}

void main();
