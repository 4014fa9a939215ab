/**
 * `tsx bench/profile-summary.ts <file.cpuprofile>… [top]`: self time by function and by file of V8
 * CPU profiles (`BENCH_CPU_PROF=1 npm run bench` writes them under the OS temp folder; several files
 * are summed). Percentages are of the busy time: `(idle)` is the process waiting, not working.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function summarize(profiles: Profile | readonly Profile[], top = 25): string {
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const list: readonly Profile[] = 'nodes' in profiles ? [profiles] : profiles;
  for (const profile of list) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    for (const [id, us] of self) {
      const n = byId.get(id);
      if (n === undefined) continue;
      total += us;
      if (n.callFrame.functionName === '(idle)') {
        idle += us;
        continue;
      }
      tally(n, us, fn, file);
    }
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
      )
      .join('\n');
  return `total ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms (idle left out; % of busy)\n-- by function --\n${rows(fn)}\n-- by file/package --\n${rows(file)}`;
}

function tally(n: Node, us: number, fn: Map<string, number>, file: Map<string, number>): void {
  const url = n.callFrame.url.replace(/^.*\/work\/main\//, '').replace(/^file:\/\//, '');
  const key = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const f =
    url === ''
      ? `(${n.callFrame.functionName})`
      : url.replace(/node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*/, 'node_modules/$1');
  file.set(f, (file.get(f) ?? 0) + us);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const top = args.length > 1 && /^\d+$/.test(args[args.length - 1] ?? '') ? Number(args.pop()) : 25;
  if (args.length === 0) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile>… [top]');
  const profiles = args.map((path) => JSON.parse(readFileSync(path, 'utf8')) as Profile);
  process.stdout.write(`${summarize(profiles, top)}\n`);
}
