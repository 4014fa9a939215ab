/**
 * azure.yaml, .funcignore, package.json and the workflows must agree with each other and with the
 * Bicep: a local build that ships no node_modules, or a remote build that ships no sources, deploys
 * an app that does not start (docs/reference/azure.md, "Deployment package").
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO, declaration, readBicep } from './bicep-reader';

const text = (path: string): string => readFileSync(resolve(REPO, path), 'utf8');

/** Whether a .funcignore excludes a path (plain names, `dir/` and `*.ext`, `dir/**\/*.ext` patterns). */
export function funcignoreExcludes(funcignore: string, path: string): boolean {
  return funcignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .some((pattern) => {
      const source = pattern
        .replace(/\/$/, '/**')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*\*/g, '.*')
        .replace(/\*/g, '[^/]*');
      return new RegExp(`^(?:${source})(?:/.*)?$`).test(path) || new RegExp(`(?:^|/)${source}$`).test(path);
    });
}

describe('azd project', () => {
  const azureYaml = text('azure.yaml');
  const funcignore = text('.funcignore');
  const pkg = JSON.parse(text('package.json')) as { main: string; scripts: Record<string, string> };

  it('points azd at infra/bicep/main.bicep and deploys this folder as the api function app', () => {
    expect(azureYaml).toMatch(/^infra:\n\s+provider: bicep\n\s+path: infra\/bicep\n\s+module: main$/m);
    expect(azureYaml).toMatch(/^services:\n\s+api:\n\s+project: \.\n\s+language: ts\n\s+host: function$/m);
    const api = readBicep('modules/api.bicep');
    expect(declaration(api, 'param', 'serviceName').body).toBe("'api'");
    expect(declaration(api, 'module', 'site').body).toContain("'azd-service-name': serviceName");
  });

  it('agrees with .funcignore on where the build happens', () => {
    const remote = /remoteBuild:\s*(true|false)/.exec(azureYaml)?.[1];
    expect(remote).toBeDefined();
    if (remote === 'false') {
      expect(funcignoreExcludes(funcignore, 'node_modules/zod/index.js'), 'a local build must ship node_modules').toBe(
        false,
      );
      expect(funcignoreExcludes(funcignore, pkg.main), `${pkg.main} must ship`).toBe(false);
      expect(pkg.scripts.build, 'azd runs npm run build before packaging').toBeDefined();
    } else {
      expect(
        funcignoreExcludes(funcignore, 'node_modules/zod/index.js'),
        'a remote build installs node_modules itself',
      ).toBe(true);
      expect(funcignoreExcludes(funcignore, 'src/index.ts'), 'a remote build compiles the sources').toBe(false);
      expect(funcignoreExcludes(funcignore, 'tsconfig.json')).toBe(false);
    }
    expect(funcignoreExcludes(funcignore, 'host.json')).toBe(false);
    expect(funcignoreExcludes(funcignore, 'local.settings.json'), 'local secrets never ship').toBe(true);
  });

  it('reads .funcignore patterns the way the packager does', () => {
    expect(funcignoreExcludes('dev/\nsrc/**/*.ts\n*.md', 'dev/host/index.ts')).toBe(true);
    expect(funcignoreExcludes('dev/\nsrc/**/*.ts\n*.md', 'src/config/index.ts')).toBe(true);
    expect(funcignoreExcludes('dev/\nsrc/**/*.ts\n*.md', 'README.md')).toBe(true);
    expect(funcignoreExcludes('dev/\nsrc/**/*.ts\n*.md', 'dist/src/index.js')).toBe(false);
    expect(funcignoreExcludes('node_modules', 'node_modules/zod/index.js')).toBe(true);
  });

  it('the runtime azd deploys to is Node 22 and the package engines accept it', () => {
    expect(declaration(readBicep('modules/api.bicep'), 'module', 'site').body).toMatch(
      /runtime:\s*\{\s*name:\s*'node'\s+version:\s*'22'/,
    );
    const engines = (JSON.parse(text('package.json')) as { engines?: { node?: string } }).engines?.node ?? '';
    expect(engines).toMatch(/^>=\s*2[02]/);
  });
});

describe('workflows', () => {
  const ci = text('.github/workflows/ci.yml');
  const deploy = text('.github/workflows/deploy.yml');

  it('CI installs with npm ci, adds Debian Chromium, lints and tests on Node 20 and 22', () => {
    expect(ci).toMatch(/node:\s*\['20',\s*'22'\]/);
    expect(ci).toMatch(/container:\s*node:\$\{\{\s*matrix\.node\s*\}\}-bookworm/);
    expect(ci).toMatch(/apt-get install[^\n]*\bchromium\b/);
    const order = ['run: npm ci', 'run: npm run lint', 'run: npm test'].map((step) => ci.indexOf(step));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('deploy logs in with OIDC (no secret), then provisions and deploys with azd', () => {
    expect(deploy).toMatch(/permissions:\n\s+id-token: write/);
    expect(deploy).toContain('--federated-credential-provider github');
    expect(deploy).not.toMatch(/client-secret|AZURE_CLIENT_SECRET|secrets\./);
    expect(deploy.indexOf('azd provision --no-prompt')).toBeGreaterThan(deploy.indexOf('azd auth login'));
    expect(deploy.indexOf('azd deploy --no-prompt')).toBeGreaterThan(deploy.indexOf('azd provision --no-prompt'));
    expect(deploy).toContain('AZURE_PRINCIPAL_TYPE: ServicePrincipal');
  });

  it('deploy passes every azd environment value main.parameters.json reads (except the secrets)', () => {
    const params = text('infra/bicep/main.parameters.json');
    const names = [...params.matchAll(/\$\{([A-Z0-9_]+)(?:=[^}]*)?\}/g)].map((m) => m[1] ?? '');
    const secret = /TOKEN|SECRET$|API_KEY/;
    // AZURE_ENV_NAME and AZURE_LOCATION are passed; azd fills AZURE_PRINCIPAL_ID from the login.
    const automatic = ['AZURE_PRINCIPAL_ID'];
    expect(names).toContain('SENTRY_EXTERNAL_SECRETS');
    for (const name of names.filter((n) => !secret.test(n) && !automatic.includes(n))) {
      expect(deploy, `deploy.yml does not pass ${name}`).toMatch(new RegExp(`^\\s+${name}:`, 'm'));
    }
    for (const name of names.filter((n) => secret.test(n))) {
      expect(deploy, `${name} must not come from GitHub`).not.toContain(`${name}:`);
    }
  });
});
