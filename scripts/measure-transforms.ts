/**
 * Quick local throughput check of the pure transforms (not a test: timings vary by machine).
 * Rates are per CPU-second of this process (GC included). Run pinned to one core: `taskset -c 0 npx tsx scripts/measure-transforms.ts [entries]`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { billableBytes } from '../src/transforms/billable-size';
import { toMerakiNetworkEventRow } from '../src/transforms/meraki';
import { toSlackAuditRow } from '../src/transforms/slack-audit';

const root = resolve(__dirname, '..');
const total = Number(process.argv[2] ?? 200_000);
const dir = join(root, 'test/fixtures/slack-audit');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => readFileSync(join(dir, f), 'utf8'));

// Parse from text, as the collector does, with ids and times varied so nothing is shared.
const entries: unknown[] = [];
for (let i = 0; i < total; i++) {
  const e = JSON.parse(fixtures[i % fixtures.length] ?? '{}') as Record<string, unknown>;
  e.id = `${String(e.id).slice(0, 28)}${i.toString(16).padStart(8, '0')}`;
  e.date_create = 1_732_262_400 + i;
  entries.push(e);
}

function run(label: string, fn: (e: unknown) => boolean, input: readonly unknown[]): void {
  const rates: number[] = [];
  for (let round = 0; round < 7; round++) {
    // CPU time, not wall time: the shared dev machine is often busy with other work.
    const start = process.cpuUsage();
    let ok = 0;
    for (const e of input) if (fn(e)) ok++;
    const used = process.cpuUsage(start);
    const ns = (used.user + used.system) * 1000;
    if (ok !== input.length) throw new Error(`${label}: ${input.length - ok} entries failed`);
    if (round >= 2) rates.push((input.length / ns) * 1e9);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] ?? 0;
  console.log(
    `${label}: median ${Math.round(median).toLocaleString()} entries/s (${(1e6 / median).toFixed(2)} µs/entry)`,
  );
}

run('toSlackAuditRow', (e) => toSlackAuditRow(e, { sourceOrg: 'E02N1QXMZ7K' }).ok, entries);

const events = JSON.parse(readFileSync(join(root, 'test/fixtures/meraki/network-events-appliance.json'), 'utf8')) as {
  events: Record<string, unknown>[];
};
const merakiInput = Array.from({ length: 50_000 }, (_, i) => ({
  ...events.events[i % 2],
  occurredAt: `2026-11-22T09:12:${String(i % 60).padStart(2, '0')}.${String(i).padStart(6, '0')}Z`,
}));
run('toMerakiNetworkEventRow', (e) => toMerakiNetworkEventRow(e, { sourceOrg: '549236' }).ok, merakiInput);

let bytes = 0;
for (const e of entries.slice(0, fixtures.length)) {
  const r = toSlackAuditRow(e, { sourceOrg: 'E02N1QXMZ7K' });
  if (r.ok) bytes += billableBytes(r.row);
}
console.log(`mean billable bytes per Slack row over the fixtures: ${(bytes / fixtures.length).toFixed(1)}`);
