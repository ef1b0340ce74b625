import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Reads the V8 CPU profiles a bench wrote under FOPFLOW_BENCH_PROFILE and prints, per app, where
 * its busy time went: by package or source area, and the hottest functions by self time.
 *   node dist/bench/profile-summary.js <dir> [top]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Time of frames that are not work: the idle loop, the collector, the program's own root. */
const NOT_BUSY = new Set(['(idle)', '(root)', '(program)']);

/** Where a frame's code lives: a package under node_modules, an area of the repository, or node itself. */
export function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return '(gc)';
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  if (path.startsWith('node:')) return `node:${path.slice(5).split('/')[0]}`;
  const own = /\/(apps|libs)\/([^/]+)\//.exec(path);
  return own ? `${own[1]}/${own[2]}` : path;
}

/** Busy ms per area and per function of one profile. */
export function summarize(profile: CpuProfile): { busyMs: number; totalMs: number; areas: Map<string, number>; functions: Map<string, number> } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyMs = 0;
  let totalMs = 0;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    totalMs += ms;
    const { callFrame } = byId.get(id)!;
    if (NOT_BUSY.has(callFrame.functionName)) return;
    busyMs += ms;
    const area = areaOf(callFrame.url, callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const name = `${callFrame.functionName || '(anonymous)'} ${relative(process.cwd(), callFrame.url.replace(/^file:\/\//, ''))}:${callFrame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  });
  return { busyMs, totalMs, areas, functions };
}

function top(map: Map<string, number>, count: number, busyMs: number): string {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / busyMs).toFixed(1).padStart(5)} %  ${name}`)
    .join('\n');
}

function profilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? profilesUnder(path) : name.endsWith('.cpuprofile') ? [path] : [];
  });
}

if (require.main === module) {
  const [dir, count = '25'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: node dist/bench/profile-summary.js <dir> [top]');
  for (const file of profilesUnder(dir)) {
    const { busyMs, totalMs, areas, functions } = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    console.log(`\n${relative(dir, file)}: busy ${busyMs.toFixed(0)} ms of ${totalMs.toFixed(0)} ms on the main thread`);
    console.log(`by area:\n${top(areas, Number(count), busyMs)}`);
    console.log(`by function (self time):\n${top(functions, Number(count), busyMs)}`);
  }
}
