/**
 * Child process: the far side of the collection bench — Entra ID and Logs Ingestion (HTTPS, local CA)
 * and the Slack emulator holding `BENCH_EMULATORS.events` generated audit entries. It runs pinned
 * to its own core (the parent starts it under `taskset -c 1`): the vendors' and Azure's CPUs are not
 * the collector's, and one core serving pages and checking rows must not be what is measured.
 *
 * Bench-only settings, said out loud in the report: the Slack Audit Logs budget is raised from
 * ~50 calls/min to effectively unlimited, and the Logs Ingestion per-DCR budget to 10x Azure's, so
 * neither vendor limit caps a throughput measurement (Slack's real limit alone caps a collector at
 * ~8.3k events/s with full pages: docs/reference/performance.md, "Vendor limits in events per
 * second").
 *
 * Entries are appended straight into the emulator's audit array (no per-entry structuredClone,
 * which would take longer than the measurement); `addAuditEntries([])` then bumps its revision so
 * the route re-sorts once.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { startEntraEmulator } from '../dev/emulators/entra';
import { startIngestionEmulator } from '../dev/emulators/ingestion';
import { startSlackEmulator } from '../dev/emulators/slack';
import { ensureLocalCa } from '../dev/emulators/tls';
import { benchEntries } from './lib/entries';

export interface EmulatorSpec {
  caDir: string;
  events: number;
  startSec: number;
  spanSec: number;
}

export interface EmulatorInfo {
  slackAuditUrl: string;
  slackAuditToken: string;
  ingestionUrl: string;
  env: Record<string, string>;
  entries: number;
  generateMs: number;
  /** This process, so a worker can read its CPU time (/proc/<pid>/stat). */
  pid: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_EMULATORS ?? '{}') as EmulatorSpec;
  const ca = await ensureLocalCa(spec.caDir);
  const entra = await startEntraEmulator({ tls: { key: ca.key, cert: ca.cert } });
  const ingestion = await startIngestionEmulator({
    tls: { key: ca.key, cert: ca.cert },
    verifyToken: (token, audience) => entra.verifyToken(token, audience),
    streamsFile: join(__dirname, '..', 'infra/bicep/generated/streams.json'),
    budget: { requestsPerWindow: 120_000, bytesPerWindow: 20 * 1024 ** 3 },
  });
  const auditToken = `xoxp-bench-${randomBytes(12).toString('hex')}`;
  const slack = await startSlackEmulator({
    tokens: { audit: auditToken },
    audit: { ratePerWindow: 1_000_000_000, windowMs: 60_000 },
  });

  const started = Date.now();
  const entries = benchEntries(spec.events, spec.startSec, spec.spanSec);
  const store = slack.state.getAuditEntries() as Record<string, unknown>[];
  for (const entry of entries) store.push(entry);
  slack.state.addAuditEntries([]);
  const generateMs = Date.now() - started;

  const info: EmulatorInfo = {
    slackAuditUrl: slack.auditUrl,
    slackAuditToken: auditToken,
    ingestionUrl: ingestion.url,
    env: { ...ingestion.env(), ...entra.clientSecretEnv() },
    entries: entries.length,
    generateMs,
    pid: process.pid,
  };
  const close = async () => {
    await slack.close();
    await ingestion.close();
    await entra.close();
    process.exit(0);
  };
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'close') void close();
  });
  process.on('disconnect', () => {
    void close();
  });
  process.send?.({ type: 'ready', info });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench emulators failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
