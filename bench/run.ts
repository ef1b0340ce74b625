import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Benchmark } from './benchmark';
import { machineFacts, machineSection } from './support/machine';
import { findSection, wrapSection } from './support/markdown';
import { CHART_DIR, drawCharts } from './support/report-charts';
import { asyncBenchmark } from './async.bench';
import { avthumbBenchmark } from './avthumb.bench';
import { hlsBenchmark } from './hls.bench';
import { mogr2Benchmark } from './mogr2.bench';
import { s3Benchmark } from './s3.bench';
import { scalerBenchmark } from './scaler.bench';
import { soakBenchmark } from './soak.bench';
import { scalerClusterBenchmark } from './scaler-cluster.bench';
import { thumbnailBenchmark } from './thumbnail.bench';
import { TUNE_SECTION } from './tune.report';
import { ufopBenchmark } from './ufop.bench';

/** Every benchmark, in the order their sections appear in BENCHMARKS.md. */
const BENCHMARKS: readonly Benchmark[] = [thumbnailBenchmark, mogr2Benchmark, s3Benchmark, soakBenchmark, avthumbBenchmark, hlsBenchmark, asyncBenchmark, scalerBenchmark, scalerClusterBenchmark, ufopBenchmark];

/** Sections other commands write (`npm run bench:tune`): kept as they are, after the benchmarks'. */
const KEPT_SECTIONS: readonly string[] = [TUNE_SECTION];

/** Repository root, seen from dist/bench. */
const REPO_ROOT = resolve(__dirname, '..', '..');
const REPORT_FILE = join(REPO_ROOT, 'BENCHMARKS.md');

const INTRO = `# Benchmarks

Figures measured by \`npm run bench\` on the machine described below; \`npm run bench -- <name>\` runs one
benchmark and leaves the other sections as they were (each says when it was measured). \`npm run bench:tune\`
writes the Concurrency tuning section, and config/concurrency.json with it. These are measurements, not
pass/fail thresholds: compare figures only between runs on the same machine. The charts above the tables
(SVG under docs/bench/, drawn with vega-lite) are drawn from those tables; \`npm run bench:charts\` redraws them.`;

/** A mistake in the command line: its message is all the user needs, not a stack. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `npm run bench [-- name...]`: runs the named benchmarks (all by default) and rewrites BENCHMARKS.md. */
async function main(): Promise<void> {
  const selected = selectBenchmarks(process.argv.slice(2));
  const command = selected.length === BENCHMARKS.length ? 'npm run bench' : `npm run bench -- ${selected.map((b) => b.name).join(' ')}`;
  const sections = new Map<string, string>();
  for (const benchmark of selected) {
    const log = (line: string) => console.log(`[${benchmark.name}] ${line}`);
    log('running');
    sections.set(benchmark.name, await benchmark.run(log));
  }
  const previous = existsSync(REPORT_FILE) ? readFileSync(REPORT_FILE, 'utf8') : '';
  const report = assembleReport(previous, sections, machineSection(machineFacts(), new Date(), command));
  // Charts are drawn from the tables just written, so they always show the figures beside them.
  const { document, written } = await drawCharts(report, REPO_ROOT);
  writeFileSync(REPORT_FILE, document);
  console.log(`wrote ${REPORT_FILE} and ${written.length} chart(s) under ${CHART_DIR}`);
}

function selectBenchmarks(names: readonly string[]): Benchmark[] {
  if (names.length === 0) return [...BENCHMARKS];
  const unknown = names.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
  if (unknown.length) {
    throw new UsageError(`unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  }
  return BENCHMARKS.filter((benchmark) => names.includes(benchmark.name));
}

/**
 * The intro and machine section are written afresh; each benchmark's section is the new one when
 * it ran, else the one the previous file held, so a single-benchmark run keeps the others.
 */
function assembleReport(previous: string, fresh: ReadonlyMap<string, string>, machine: string): string {
  const parts = [INTRO, wrapSection('machine', machine)];
  for (const { name } of BENCHMARKS) {
    const body = fresh.get(name);
    const section = body === undefined ? findSection(previous, name) : wrapSection(name, body);
    if (section !== undefined) parts.push(section);
  }
  for (const name of KEPT_SECTIONS) {
    const section = findSection(previous, name);
    if (section !== undefined) parts.push(section);
  }
  return `${parts.join('\n\n')}\n`;
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : error);
  // The exit hook of support/cleanup stops whatever is still running.
  process.exit(1);
});
