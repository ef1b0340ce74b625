import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wrapSection } from './markdown';
import { drawCharts, findTable, REPORT_CHARTS, renderChart } from './report-charts';

const THUMBNAIL_TABLE = [
  '| Path | In flight | Requests | Errors | req/s | p50 ms | × raw sharp | × ipx |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  '| raw sharp | 1 | 190 | 0 | 19.0 | 51.5 | 1.00× | 1.36× |',
  '| raw sharp | 4 | 372 | 0 | 37.1 | 108.8 | 1.00× | 1.41× |',
  '| ipx | 1 | 140 | 0 | 14.0 | 70.2 | 0.74× | 1.00× |',
  '| ipx | 4 | 264 | 0 | 26.3 | 150.1 | 0.71× | 1.00× |',
  '| gateway, cached | 1 | 4169 | 0 | 416.8 | 1.6 | 21.94× | 29.77× |',
  '| gateway, cached | 4 | 6634 | 0 | 661.7 | 4.1 | 17.84× | 25.16× |',
].join('\n');

const TIMELINE_TABLE = [
  '| t s | Pending | Ready (Keeper) | Fopflow desired (live) |',
  '| ---: | ---: | ---: | ---: |',
  '| 0 | 0 | 1 | 1 |',
  '| 2 | 557 | 1 | 4 |',
  '| 4 | 0 | 4 | 4 |',
].join('\n');

const thumbnailChart = REPORT_CHARTS.find((chart) => chart.file === 'thumbnail-throughput')!;
const ratioChart = REPORT_CHARTS.find((chart) => chart.file === 'thumbnail-vs-raw-sharp')!;

describe('report charts', () => {
  it('reads a table back by its first two headers', () => {
    const found = findTable(`intro\n\n${THUMBNAIL_TABLE}\n\nafter`, ['Path', 'In flight']);
    expect(found?.line).toBe(2);
    expect(found?.table.rows).toHaveLength(6);
    expect(found?.table.rows[4]).toMatchObject({ Path: 'gateway, cached', 'In flight': '1', 'req/s': '416.8' });
    expect(findTable(THUMBNAIL_TABLE, ['Path', 'Requests'])).toBeUndefined();
  });

  it('renders throughput against in flight as an SVG with a line and a point per figure', async () => {
    const svg = await renderChart(thumbnailChart, findTable(THUMBNAIL_TABLE, ['Path', 'In flight'])!.table);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Thumbnail: req/s against operations in flight, per path');
    // A legend entry and a line per path, a point per row, the log axis's title.
    expect(svg).toContain('>raw sharp<');
    expect(svg).toContain('>gateway, cached<');
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(3);
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(6);
    expect(svg).toContain('aria-label="in flight: 4; req/s (log): 661.7; path: gateway, cached"');
    expect(svg).toContain('req/s (log)');
  });

  it('renders every path as a multiple of raw sharp, ipx among them', async () => {
    const svg = await renderChart(ratioChart, findTable(THUMBNAIL_TABLE, ['Path', 'In flight'])!.table);
    expect(svg).toContain('>ipx<');
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(3);
    expect(svg).toContain('aria-label="in flight: 4; × raw sharp (log): 0.71; path: ipx"');
  });

  it('puts each chart above its table, writes the SVG, and redraws without piling up', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fopflow-charts-'));
    try {
      const document = ['# Benchmarks', wrapSection('thumbnail', `## Thumbnail\n\n### Results\n\n${THUMBNAIL_TABLE}`), wrapSection('scaler', `## Scaler\n\n${TIMELINE_TABLE}`), wrapSection('ufop', '## UFOP\n\nno table')].join('\n\n');
      const first = await drawCharts(document, root);
      expect(first.written.map((path) => path.slice(root.length))).toEqual([
        '/docs/bench/thumbnail-throughput.svg',
        '/docs/bench/thumbnail-vs-raw-sharp.svg',
        '/docs/bench/scaler-burst.svg',
      ]);
      expect(first.document).toContain(
        '### Results\n\n![Chart: Thumbnail: req/s against operations in flight, per path](docs/bench/thumbnail-throughput.svg)\n\n' +
          '![Chart: Thumbnail: each path as a multiple of raw sharp in the same run](docs/bench/thumbnail-vs-raw-sharp.svg)\n\n| Path | In flight |',
      );
      expect(first.document).toMatch(/## Scaler\n\n!\[Chart: Scaler: [^\]]+\]\(docs\/bench\/scaler-burst.svg\)\n\n\| t s \| Pending/);
      const burst = readFileSync(join(root, 'docs/bench/scaler-burst.svg'), 'utf8');
      expect(burst).toContain('pending jobs (grey)');
      expect(burst).toContain('>Fopflow desired (live)<');
      expect(burst).toContain('aria-roledescription="area mark"');
      const again = await drawCharts(first.document, root);
      expect(again.document).toBe(first.document);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
