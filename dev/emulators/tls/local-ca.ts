/**
 * A local certificate authority for the HTTPS emulators. The Azure SDK's bearer policy refuses
 * non-https URLs and MSAL refuses a non-https authority, so the Logs Ingestion and Entra emulators
 * must serve TLS with a certificate the client trusts.
 *
 * Node trusts an extra CA only through `NODE_EXTRA_CA_CERTS`, read once when the process starts; a
 * process that is already running can only trust it per client (see `azureTlsOptions`).
 *
 * Files (reused while valid, so a CA already trusted by running processes keeps working):
 *   <dir>/ca.pem, <dir>/ca-key.pem, <dir>/localhost.pem, <dir>/localhost-key.pem
 */
import { generateKeyPairSync, randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';

import forge from 'node-forge';

export const DEFAULT_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export interface LocalCa {
  dir: string;
  /** The CA certificate (PEM): what a client must trust. */
  caPem: string;
  /** Path of `caPem` on disk: the value for `NODE_EXTRA_CA_CERTS`. */
  caPath: string;
  /** Leaf private key and certificate (PEM) for `https.createServer` / `startEmulatorServer({ tls })`. */
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
  /** Whether this call generated anything (false when everything was reused). */
  generated: { ca: boolean; leaf: boolean };
}

export interface EnsureLocalCaOptions {
  /** Names and IPs the leaf certificate covers (default localhost, 127.0.0.1, ::1). */
  hosts?: readonly string[];
  caValidDays?: number;
  leafValidDays?: number;
  /** Regenerate when fewer than this many days of validity remain (default 7). */
  renewBeforeDays?: number;
  now?: Date;
}

const DAY_MS = 86_400_000;
const FILES = { ca: 'ca.pem', caKey: 'ca-key.pem', leaf: 'localhost.pem', leafKey: 'localhost-key.pem' } as const;

function newRsaKey(): forge.pki.rsa.PrivateKey {
  // Node's native RSA generation is ~100x faster than forge's pure-JS one.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
}

function publicOf(key: forge.pki.rsa.PrivateKey): forge.pki.rsa.PublicKey {
  return forge.pki.setRsaPublicKey(key.n, key.e);
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a positive integer, as RFC 5280 requires
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  // Backdated an hour so a freshly generated certificate is valid despite small clock skew.
  cert.validity.notBefore = new Date(now.getTime() - 3_600_000);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

function createCa(now: Date, days: number): { keyPem: string; certPem: string } {
  const key = newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicOf(key);
  cert.serialNumber = serialNumber();
  validity(cert, now, days);
  const subject = [
    { name: 'commonName', value: 'Sentry local development CA' },
    { name: 'organizationName', value: 'Sentry (local only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { keyPem: forge.pki.privateKeyToPem(key), certPem: forge.pki.certificateToPem(cert) };
}

function createLeaf(
  ca: { keyPem: string; certPem: string },
  hosts: readonly string[],
  now: Date,
  days: number,
): { keyPem: string; certPem: string } {
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const key = newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicOf(key);
  cert.serialNumber = serialNumber();
  validity(cert, now, days);
  cert.setSubject([{ name: 'commonName', value: hosts[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((host) => (isIP(host) === 0 ? { type: 2, value: host } : { type: 7, ip: host })),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { keyPem: forge.pki.privateKeyToPem(key), certPem: forge.pki.certificateToPem(cert) };
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function caUsable(certPem: string, keyPem: string, now: Date, renewBeforeMs: number): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return (
      cert.ca &&
      cert.checkPrivateKey(createPrivateKey(keyPem)) &&
      new Date(cert.validFrom).getTime() <= now.getTime() &&
      new Date(cert.validTo).getTime() - renewBeforeMs > now.getTime()
    );
  } catch {
    return false;
  }
}

function leafUsable(
  certPem: string,
  keyPem: string,
  caPem: string,
  hosts: readonly string[],
  now: Date,
  renewBeforeMs: number,
): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (new Date(cert.validFrom).getTime() > now.getTime()) return false;
    if (new Date(cert.validTo).getTime() - renewBeforeMs <= now.getTime()) return false;
    return hosts.every((host) =>
      isIP(host) === 0 ? cert.checkHost(host) !== undefined : cert.checkIP(host) !== undefined,
    );
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode });
  await rename(temp, path);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Serializes generation across processes (vitest runs test files in parallel workers): without it two
 * workers could each write a CA and a leaf, and one would end up serving a leaf the other's CA file
 * does not sign.
 */
async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 30_000) await rm(lock, { recursive: true, force: true }); // left by a killed process
      if (Date.now() > deadline) throw new Error(`timed out waiting for the CA lock ${lock}`);
      await sleep(25 + Math.random() * 50);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Loads the CA and leaf from `dir`, generating (or renewing) whatever is missing, mismatched or expiring. */
export async function ensureLocalCa(dir: string, options: EnsureLocalCaOptions = {}): Promise<LocalCa> {
  const hosts = options.hosts ?? DEFAULT_HOSTS;
  const now = options.now ?? new Date();
  const renewBeforeMs = (options.renewBeforeDays ?? 7) * DAY_MS;
  const paths = {
    ca: join(dir, FILES.ca),
    caKey: join(dir, FILES.caKey),
    leaf: join(dir, FILES.leaf),
    leafKey: join(dir, FILES.leafKey),
  };
  await mkdir(dir, { recursive: true });
  return withDirLock(dir, async () => {
    const generated = { ca: false, leaf: false };
    let caPem = await readIfPresent(paths.ca);
    let caKeyPem = await readIfPresent(paths.caKey);
    if (caPem === undefined || caKeyPem === undefined || !caUsable(caPem, caKeyPem, now, renewBeforeMs)) {
      const ca = createCa(now, options.caValidDays ?? 3650);
      caPem = ca.certPem;
      caKeyPem = ca.keyPem;
      // Key first: a reader that sees the new ca.pem must find its key.
      await writeAtomic(paths.caKey, caKeyPem, 0o600);
      await writeAtomic(paths.ca, caPem, 0o644);
      generated.ca = true;
    }
    let cert = await readIfPresent(paths.leaf);
    let key = await readIfPresent(paths.leafKey);
    if (
      generated.ca ||
      cert === undefined ||
      key === undefined ||
      !leafUsable(cert, key, caPem, hosts, now, renewBeforeMs)
    ) {
      const leaf = createLeaf({ keyPem: caKeyPem, certPem: caPem }, hosts, now, options.leafValidDays ?? 825);
      cert = leaf.certPem;
      key = leaf.keyPem;
      await writeAtomic(paths.leafKey, key, 0o600);
      await writeAtomic(paths.leaf, cert, 0o644);
      generated.leaf = true;
    }
    return { dir, caPem, caPath: paths.ca, key, cert, keyPath: paths.leafKey, certPath: paths.leaf, generated };
  });
}

/**
 * Per-client trust for a process that was not started with `NODE_EXTRA_CA_CERTS`: pass as
 * `tlsOptions` to `LogsIngestionClient`, `ClientSecretCredential` or `ManagedIdentityCredential`
 * (all route through `@azure/core-rest-pipeline`'s `tlsPolicy`). `ca` replaces Node's default
 * roots, so the public roots are kept alongside the local CA.
 */
export function azureTlsOptions(ca: Pick<LocalCa, 'caPem'>): { ca: string[] } {
  return { ca: [...rootCertificates, ca.caPem] };
}

/** Environment for a child process that must trust the local CA (Node reads it only at start). */
export function trustingEnv(ca: Pick<LocalCa, 'caPath'>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, NODE_EXTRA_CA_CERTS: ca.caPath };
}
