import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { get, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { azureTlsOptions, ensureLocalCa, trustingEnv, type LocalCa } from './local-ca';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-ca-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function serve(ca: LocalCa, host: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer({ key: ca.key, cert: ca.cert }, (_req, res) => res.end('ok'));
    server.listen(0, host, () => {
      resolve(server);
    });
  });
}

function httpsGet(url: string, ca?: string | string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, ca === undefined ? {} : { ca }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        resolve(body);
      });
    }).on('error', reject);
  });
}

function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

describe('ensureLocalCa', () => {
  it('writes a CA and a leaf for localhost, 127.0.0.1 and ::1 signed by it', async () => {
    const ca = await ensureLocalCa(join(dir, 'a'));
    expect(ca.generated).toEqual({ ca: true, leaf: true });
    expect(await readFile(ca.caPath, 'utf8')).toBe(ca.caPem);
    expect((await stat(ca.keyPath)).mode & 0o077).toBe(0);
    const leaf = new X509Certificate(ca.cert);
    const root = new X509Certificate(ca.caPem);
    expect(root.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(leaf.checkHost('example.com')).toBeUndefined();
  });

  it('reuses valid files and renews what is expiring', async () => {
    const target = join(dir, 'b');
    const first = await ensureLocalCa(target, { leafValidDays: 30 });
    const again = await ensureLocalCa(target);
    expect(again.generated).toEqual({ ca: false, leaf: false });
    expect(again.caPem).toBe(first.caPem);
    expect(again.cert).toBe(first.cert);

    // 25 days on, the 30-day leaf is inside the 7-day renewal margin but the CA is not: only the leaf changes.
    const later = await ensureLocalCa(target, { now: new Date(Date.now() + 25 * 86_400_000) });
    expect(later.generated).toEqual({ ca: false, leaf: true });
    expect(later.caPem).toBe(first.caPem);
    expect(new X509Certificate(later.cert).verify(new X509Certificate(first.caPem).publicKey)).toBe(true);

    const muchLater = await ensureLocalCa(target, { now: new Date(Date.now() + 3700 * 86_400_000) });
    expect(muchLater.generated).toEqual({ ca: true, leaf: true });
    expect(muchLater.caPem).not.toBe(first.caPem);
  });

  it('re-issues the leaf when it does not cover a requested host', async () => {
    const target = join(dir, 'c');
    await ensureLocalCa(target);
    const widened = await ensureLocalCa(target, { hosts: ['localhost', '127.0.0.1', '::1', 'sentry.local'] });
    expect(widened.generated).toEqual({ ca: false, leaf: true });
    expect(new X509Certificate(widened.cert).checkHost('sentry.local')).toBe('sentry.local');
  });

  it('stays consistent when several callers race on an empty folder', async () => {
    const target = join(dir, 'd');
    const results = await Promise.all([ensureLocalCa(target), ensureLocalCa(target), ensureLocalCa(target)]);
    expect(results.filter((r) => r.generated.ca)).toHaveLength(1);
    const onDisk = await readFile(join(target, 'ca.pem'), 'utf8');
    for (const r of results) {
      expect(r.caPem).toBe(onDisk);
      expect(new X509Certificate(r.cert).verify(new X509Certificate(onDisk).publicKey)).toBe(true);
    }
  });
});

describe('trusting the local CA', () => {
  let ca: LocalCa;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    ca = await ensureLocalCa(join(dir, 'trust'));
    server = await serve(ca, '127.0.0.1');
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    server.close();
  });

  it('is refused without the CA and accepted per request with it (public roots kept)', async () => {
    await expect(httpsGet(url)).rejects.toThrow(/self.signed|unable to (get|verify)/i);
    expect(await httpsGet(url, azureTlsOptions(ca).ca)).toBe('ok');
    expect(await httpsGet(url.replace('127.0.0.1', 'localhost'), ca.caPem)).toBe('ok');
  });

  it('serves ::1 when the machine has IPv6 loopback', async () => {
    let v6: Server;
    try {
      v6 = await serve(ca, '::1');
    } catch {
      return; // no IPv6 loopback here; the SAN itself is asserted above
    }
    try {
      expect(await httpsGet(`https://[::1]:${(v6.address() as AddressInfo).port}/`, ca.caPem)).toBe('ok');
    } finally {
      v6.close();
    }
  });

  it('is trusted by a child started with NODE_EXTRA_CA_CERTS, for both fetch and node:https', async () => {
    const script = `
      const https = require('node:https');
      fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => {
        https.get(${JSON.stringify(url)}, (res) => { let b=''; res.on('data', (c) => b += c); res.on('end', () => console.log(t + '+' + b)); })
          .on('error', (e) => { console.error(e.message); process.exit(3); });
      }, (e) => { console.error(String(e.cause ?? e)); process.exit(2); });`;
    const withoutCa = { ...process.env };
    delete withoutCa.NODE_EXTRA_CA_CERTS;
    const refused = await runNode(script, withoutCa);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/self.signed|unable to (get|verify)/i);
    const trusted = await runNode(script, trustingEnv(ca, withoutCa));
    expect(trusted.stderr).toBe('');
    expect(trusted.stdout.trim()).toBe('ok+ok');
  });
});
