import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { drawCharts } from './support/report-charts';

/** Repository root, seen from dist/bench. */
const REPO_ROOT = resolve(__dirname, '..', '..');

/** `npm run bench:charts`: redraws the charts of BENCHMARKS.md from its tables, without measuring anything. */
async function main(): Promise<void> {
  const file = join(REPO_ROOT, 'BENCHMARKS.md');
  const { document, written } = await drawCharts(readFileSync(file, 'utf8'), REPO_ROOT);
  writeFileSync(file, document);
  console.log(`wrote ${written.length} chart(s): ${written.join(', ')}`);
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
