/**
 * Loads a function app the way Core Tools + the Node worker do: `local.settings.json` Values fill the
 * environment without overriding what is already set, `host.json` supplies the route prefix and the
 * durableTask settings (`%SETTING%` resolved from app settings), `package.json` `main` (a path or a
 * glob) is loaded with require() or import() after the `@azure/functions-core` shim is installed,
 * then the appStart hooks run and registration is locked.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { DurableSettings } from './contracts';
import { type CoreRegistry, installCoreModule } from './core-shim';
import type { HostLogger } from './invoker';
import { errorMessage } from './logger';

export class HostStartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostStartupError';
  }
}

export type Env = Record<string, string | undefined>;

export interface HostConfig {
  /** Without slashes; '' means functions are served from the root. */
  routePrefix: string;
  durable: DurableSettings;
  /** The parsed host.json, for anything else a component wants to read. */
  raw: Record<string, unknown>;
}

/** `%NAME%` → the app setting NAME, as the host resolves binding and host.json values. */
export function resolveSettingReferences(value: string, env: Env, where: string): string {
  return value.replace(/%([^%]+)%/g, (_whole, name: string) => {
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      throw new HostStartupError(
        `${where}: '%${name}%' does not resolve to a value (app setting "${name}" is not set).`,
      );
    }
    return resolved;
  });
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HostStartupError(`Cannot read ${what} at ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    // Core Tools tolerates a UTF-8 BOM, as editors on Windows write one.
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (error) {
    throw new HostStartupError(`${what} at ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Copies `local.settings.json` Values into env, skipping names already set (Core Tools behaviour:
 * the shell wins). Returns the names it applied. A missing file is fine.
 */
export function applyLocalSettings(appDir: string, env: Env): string[] {
  const path = join(appDir, 'local.settings.json');
  if (!existsSync(path)) return [];
  const settings = readJson(path, 'local.settings.json');
  if (!isRecord(settings)) throw new HostStartupError(`local.settings.json at ${path} must be a JSON object.`);
  if (settings.IsEncrypted === true) {
    throw new HostStartupError(
      'local.settings.json is encrypted (IsEncrypted: true); decrypt it with Core Tools first.',
    );
  }
  const values = settings.Values ?? {};
  if (!isRecord(values)) throw new HostStartupError('local.settings.json "Values" must be an object of strings.');
  const applied: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (env[name] !== undefined) continue;
    if (typeof value !== 'string') {
      throw new HostStartupError(`local.settings.json Values.${name} must be a string (app settings are strings).`);
    }
    env[name] = value;
    applied.push(name);
  }
  return applied;
}

export interface LocalHostSettings {
  /** `Host.LocalHttpPort`: Core Tools' default port for this app. */
  localHttpPort: number | undefined;
  /** `Host.CORS`: allowed browser origins ('*' for any). */
  cors: string[];
  /** `Host.CORSCredentials`. */
  corsCredentials: boolean;
}

/** The `Host` section of local.settings.json (Core Tools' own settings, never app settings). */
export function readLocalHostSettings(appDir: string): LocalHostSettings {
  const path = join(appDir, 'local.settings.json');
  const none: LocalHostSettings = { localHttpPort: undefined, cors: [], corsCredentials: false };
  if (!existsSync(path)) return none;
  const settings = readJson(path, 'local.settings.json');
  if (!isRecord(settings) || !isRecord(settings.Host)) return none;
  const host = settings.Host;
  const port = host.LocalHttpPort;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new HostStartupError('local.settings.json Host.LocalHttpPort must be a port number.');
  }
  const cors = typeof host.CORS === 'string' ? host.CORS.split(',').map((o) => o.trim().replace(/\/+$/, '')) : [];
  return { localHttpPort: port, cors: cors.filter((o) => o !== ''), corsCredentials: host.CORSCredentials === true };
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new HostStartupError(`host.json extensions.durableTask.${name} must be a positive integer.`);
  }
  return value;
}

/** Reads host.json. The real host refuses to start without one, or with a version other than 2.0. */
export function readHostConfig(appDir: string, env: Env): HostConfig {
  const path = join(appDir, 'host.json');
  if (!existsSync(path)) {
    throw new HostStartupError(
      `No host.json in ${appDir}: the Functions host needs one (at least {"version": "2.0"}).`,
    );
  }
  const raw = readJson(path, 'host.json');
  if (!isRecord(raw)) throw new HostStartupError('host.json must be a JSON object.');
  if (raw.version !== '2.0') {
    throw new HostStartupError(`host.json "version" must be "2.0" (found ${JSON.stringify(raw.version)}).`);
  }
  const extensions = isRecord(raw.extensions) ? raw.extensions : {};
  const http = isRecord(extensions.http) ? extensions.http : {};
  const prefixValue = http.routePrefix ?? 'api';
  if (typeof prefixValue !== 'string')
    throw new HostStartupError('host.json extensions.http.routePrefix must be a string.');
  const routePrefix = prefixValue.replace(/^\/+|\/+$/g, '');

  const durableTask = isRecord(extensions.durableTask) ? extensions.durableTask : {};
  const hubValue = durableTask.hubName;
  if (hubValue !== undefined && typeof hubValue !== 'string') {
    throw new HostStartupError('host.json extensions.durableTask.hubName must be a string.');
  }
  // Durable extension default: the site name, else "TestHubName" (Options/DurableTaskOptions.cs).
  const hubName =
    hubValue === undefined
      ? (env.WEBSITE_SITE_NAME ?? 'TestHubName')
      : resolveSettingReferences(hubValue, env, 'host.json extensions.durableTask.hubName');
  // Azure Storage task hub names: 3-45 characters, a letter first, then letters and digits.
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(hubName)) {
    throw new HostStartupError(
      `Task hub name "${hubName}" is invalid: it must start with a letter, contain only letters and digits, and be 3-45 characters long.`,
    );
  }
  // Defaults of the Azure Storage provider on a dedicated plan: 10 x processor count.
  const perCore = 10 * availableParallelism();
  return {
    routePrefix,
    raw,
    durable: {
      hubName,
      maxConcurrentActivityFunctions: positiveInteger(
        durableTask.maxConcurrentActivityFunctions,
        'maxConcurrentActivityFunctions',
        perCore,
      ),
      maxConcurrentOrchestratorFunctions: positiveInteger(
        durableTask.maxConcurrentOrchestratorFunctions,
        'maxConcurrentOrchestratorFunctions',
        perCore,
      ),
      maxConcurrentEntityFunctions: positiveInteger(
        durableTask.maxConcurrentEntityFunctions,
        'maxConcurrentEntityFunctions',
        perCore,
      ),
    },
  };
}

const GLOB_CHARS = /[*?[\]{}]/;

/** A glob (`*`, `**`, `?`, `[...]`, `{a,b}`) as a RegExp over '/'-separated relative paths. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  let i = 0;
  let braces = 0;
  while (i < pattern.length) {
    const ch = pattern.charAt(i);
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        const atSegmentStart = i === 0 || pattern[i - 1] === '/';
        if (atSegmentStart && pattern[i + 2] === '/') {
          source += '(?:[^/]+/)*';
          i += 3;
        } else {
          source += '.*';
          i += 2;
        }
      } else {
        source += '[^/]*';
        i++;
      }
    } else if (ch === '?') {
      source += '[^/]';
      i++;
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        source += '\\[';
        i++;
      } else {
        source += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end + 1;
      }
    } else if (ch === '{') {
      braces++;
      source += '(?:';
      i++;
    } else if (ch === '}' && braces > 0) {
      braces--;
      source += ')';
      i++;
    } else if (ch === ',' && braces > 0) {
      source += '|';
      i++;
    } else {
      source += ch.replace(/[.+^${}()|\\]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(`^${source}$`);
}

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(root, full, out);
    else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'));
  }
}

/** The files `package.json` `main` names, sorted, as absolute paths (the worker globs it too). */
export function resolveEntryPoints(appDir: string, main: string): string[] {
  const pattern = main.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!GLOB_CHARS.test(pattern)) {
    const file = resolve(appDir, pattern);
    return existsSync(file) && statSync(file).isFile() ? [file] : [];
  }
  // Walk only below the pattern's literal directory prefix.
  const segments = pattern.split('/');
  const literal: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (GLOB_CHARS.test(segment)) break;
    literal.push(segment);
  }
  const base = resolve(appDir, ...literal);
  if (!existsSync(base)) return [];
  const files: string[] = [];
  walk(resolve(appDir), base, files);
  const regex = globToRegExp(pattern);
  return files
    .filter((file) => regex.test(file))
    .sort()
    .map((file) => resolve(appDir, file));
}

export interface LoadAppOptions {
  appDir: string;
  /** The port the host listens on; WEBSITE_HOSTNAME carries it (durable-functions builds URLs from it). */
  port: number;
  logger: HostLogger;
  /** Defaults to process.env; the app reads process.env, so anything else is for tests of this module. */
  env?: Env;
}

export interface LoadedApp {
  appDir: string;
  registry: CoreRegistry;
  config: HostConfig;
  entryPoints: string[];
  /** Names from local.settings.json that were applied. */
  appliedSettings: string[];
}

function isEsm(file: string, packageType: unknown): boolean {
  const extension = extname(file);
  if (extension === '.mjs') return true;
  if (extension === '.cjs') return false;
  return packageType === 'module';
}

/** Everything up to and including `appStart`; afterwards registerFunction throws, as in the worker. */
export async function loadApp(options: LoadAppOptions): Promise<LoadedApp> {
  const appDir = resolve(options.appDir);
  const env = options.env ?? process.env;
  if (!existsSync(appDir) || !statSync(appDir).isDirectory()) {
    throw new HostStartupError(`The function app directory ${appDir} does not exist.`);
  }
  const appliedSettings = applyLocalSettings(appDir, env);
  const config = readHostConfig(appDir, env);

  env.WEBSITE_HOSTNAME = `localhost:${options.port}`;
  env.AZURE_FUNCTIONS_ENVIRONMENT ??= 'Development';
  if (env.FUNCTIONS_WORKER_RUNTIME !== undefined && env.FUNCTIONS_WORKER_RUNTIME !== 'node') {
    options.logger(
      'warning',
      `FUNCTIONS_WORKER_RUNTIME was "${env.FUNCTIONS_WORKER_RUNTIME}"; this host only runs node apps, using "node".`,
    );
  }
  env.FUNCTIONS_WORKER_RUNTIME = 'node';

  const packagePath = join(appDir, 'package.json');
  if (!existsSync(packagePath))
    throw new HostStartupError(`No package.json in ${appDir}: its "main" names the app's entry point.`);
  const packageJson = readJson(packagePath, 'package.json');
  if (!isRecord(packageJson) || typeof packageJson.main !== 'string' || packageJson.main.trim() === '') {
    throw new HostStartupError(
      `package.json in ${appDir} has no "main": set it to the entry point (a path or a glob such as "dist/functions/*.js").`,
    );
  }
  const main = packageJson.main;
  if (isAbsolute(main))
    throw new HostStartupError(`package.json "main" must be relative to the app directory (found "${main}").`);
  const entryPoints = resolveEntryPoints(appDir, main);
  if (entryPoints.length === 0) {
    throw new HostStartupError(
      `Found zero files matching the package.json "main" pattern "${main}" in ${appDir}. Did you build the app?`,
    );
  }

  const registry = installCoreModule();
  registry.systemLog = (level, category, message) => {
    const normalized = level === 'warning' || level === 'error' || level === 'critical' ? level : 'debug';
    options.logger(normalized, `[${category}] ${message}`);
  };
  const requireFromApp = createRequire(join(appDir, 'package.json'));
  for (const file of entryPoints) {
    try {
      if (isEsm(file, packageJson.type)) await import(pathToFileURL(file).href);
      else requireFromApp(file);
    } catch (error) {
      throw new HostStartupError(
        `Worker was unable to load entry point "${relative(appDir, file)}": ${errorMessage(error)}`,
        { cause: error },
      );
    }
    options.logger('debug', `Loaded entry point ${relative(appDir, file)}`);
  }
  if (registry.programmingModel === undefined && registry.functions.size === 0) {
    options.logger(
      'warning',
      `The app registered no functions (entry points: ${entryPoints.map((f) => relative(appDir, f)).join(', ')}).`,
    );
  }

  for (const hook of [...registry.hooks.appStart]) {
    try {
      await hook({
        hookData: registry.appLevelOnlyHookData,
        appHookData: registry.appHookData,
        functionAppDirectory: appDir,
      });
    } catch (error) {
      throw new HostStartupError(`An appStart hook failed: ${errorMessage(error)}`, { cause: error });
    }
  }
  registry.lock();
  return { appDir, registry, config, entryPoints, appliedSettings };
}
