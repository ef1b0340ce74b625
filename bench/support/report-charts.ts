import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, View } from 'vega';
import { compile, TopLevelSpec } from 'vega-lite';
import { findSection } from './markdown';

/** Where the charts go, relative to the repository root (BENCHMARKS.md links them from there). */
export const CHART_DIR = 'docs/bench';

/** Size of each chart's plot area, in px (axes and legend come on top). */
const CHART_WIDTH_PX = 520;
const CHART_HEIGHT_PX = 240;
/** Longest legend label before vega shortens it with an ellipsis, in px. */
const LEGEND_LABEL_LIMIT_PX = 320;

/** A markdown table as read back from BENCHMARKS.md: headers and cells, by header. */
export interface ReportTable {
  headers: string[];
  rows: Array<Record<string, string>>;
}

/** One chart BENCHMARKS.md shows above a table of a section. */
export interface ReportChart {
  /** File name under CHART_DIR, without `.svg`. */
  file: string;
  /** The section (`<!-- bench:<name> -->`) that holds the table. */
  section: string;
  /** The table's first header cell and the second: the first table of the section that starts so. */
  tableStartsWith: [string, string];
  title: string;
  /** The vega-lite spec of the chart from the table's figures (data inline, no size). */
  spec(table: ReportTable): TopLevelSpec;
}

/** A figure of a cell; NaN for a dash or anything else that is not a number. */
const num = (text: string | undefined) => (text === undefined || !/^-?\d/.test(text) ? Number.NaN : Number.parseFloat(text));

/** Lines per series of `[series, x, y]` points, with log axes where the figures span decades. */
function seriesLines(values: Array<{ series: string; x: number; y: number }>, axes: { x: string; y: string; series: string; logX?: boolean; logY?: boolean }): TopLevelSpec {
  return {
    data: { values: values.filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y)) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axes.x, ...(axes.logX && { scale: { type: 'log', nice: false } }) },
      y: { field: 'y', type: 'quantitative', title: axes.y, ...(axes.logY && { scale: { type: 'log' } }) },
      color: { field: 'series', type: 'nominal', title: axes.series },
    },
  };
}

/** A line per path of the thumbnail table: `column` against operations in flight, both on log axes. */
function thumbnailChart(file: string, title: string, column: string): ReportChart {
  return {
    file,
    section: 'thumbnail',
    tableStartsWith: ['Path', 'In flight'],
    title,
    spec: ({ rows }) =>
      seriesLines(
        rows.map((row) => ({ series: row['Path'], x: num(row['In flight']), y: num(row[column]) })),
        { x: 'in flight', y: `${column} (log)`, series: 'path', logX: true, logY: true },
      ),
  };
}

/** The charts of BENCHMARKS.md: throughput and ratios against in flight, the scaler's burst, the concurrency sweep. */
export const REPORT_CHARTS: readonly ReportChart[] = [
  thumbnailChart('thumbnail-throughput', 'Thumbnail: req/s against operations in flight, per path', 'req/s'),
  thumbnailChart('thumbnail-vs-raw-sharp', 'Thumbnail: each path as a multiple of raw sharp in the same run', '× raw sharp'),
  {
    file: 'scaler-burst',
    section: 'scaler',
    tableStartsWith: ['t s', 'Pending'],
    title: "Scaler: a burst of jobs, pending and instances (the first runtime's timeline)",
    spec: ({ headers, rows }) => {
      const instanceSeries = headers.filter((header) => header !== 't s' && header !== 'Pending');
      return {
        layer: [
          {
            data: { values: rows.map((row) => ({ t: num(row['t s']), pending: num(row['Pending']) })) },
            mark: { type: 'area', opacity: 0.25, color: '#888', interpolate: 'step-after' },
            encoding: { x: { field: 't', type: 'quantitative', title: 't s (0: the burst starts)' }, y: { field: 'pending', type: 'quantitative', title: 'pending jobs (grey)' } },
          },
          {
            data: { values: rows.flatMap((row) => instanceSeries.map((series) => ({ t: num(row['t s']), series, instances: num(row[series]) }))) },
            mark: { type: 'line', interpolate: 'step-after' },
            encoding: {
              x: { field: 't', type: 'quantitative' },
              y: { field: 'instances', type: 'quantitative', title: 'instances', axis: { orient: 'right', tickMinStep: 1, format: 'd' } },
              color: { field: 'series', type: 'nominal', title: 'instances' },
            },
          },
        ],
        resolve: { scale: { y: 'independent' } },
      };
    },
  },
  {
    file: 'concurrency-sweep',
    section: 'tune',
    tableStartsWith: ['Command', 'Jobs at once'],
    title: 'Concurrency sweep: req/s against jobs at once per worker, per command',
    spec: ({ rows }) =>
      seriesLines(
        rows.map((row) => ({ series: row['Command'], x: num(row['Jobs at once']), y: num(row['req/s']) })),
        { x: 'jobs at once per worker', y: 'req/s (log)', series: 'command', logY: true },
      ),
  },
];

/** The first table of `text` whose header row starts with `first` and `second`, with the line it starts on. */
export function findTable(text: string, [first, second]: [string, string]): { table: ReportTable; line: number } | undefined {
  const lines = text.split('\n');
  const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
  const start = lines.findIndex((line, index) => line.startsWith('|') && /^\|[\s:|-]+\|$/.test(lines[index + 1] ?? '') && cells(line)[0] === first && cells(line)[1] === second);
  if (start < 0) return undefined;
  const headers = cells(lines[start]);
  const rows: ReportTable['rows'] = [];
  for (let index = start + 2; index < lines.length && lines[index].startsWith('|'); index++) {
    const row = cells(lines[index]);
    rows.push(Object.fromEntries(headers.map((header, column) => [header, row[column] ?? ''])));
  }
  return { table: { headers, rows }, line: start };
}

/** The chart as an SVG document, rendered headless (no canvas, no browser). */
export async function renderChart(chart: Pick<ReportChart, 'title' | 'spec'>, table: ReportTable): Promise<string> {
  const spec = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: chart.title, width: CHART_WIDTH_PX, height: CHART_HEIGHT_PX,
    // Series names are column headers such as "Fopflow desired (live)": shown whole.
    config: { legend: { labelLimit: LEGEND_LABEL_LIMIT_PX } },
    ...chart.spec(table),
  } as TopLevelSpec;
  return new View(parse(compile(spec).spec), { renderer: 'none' }).toSVG();
}

/** The image line BENCHMARKS.md carries for `chart`; drawCharts finds its own lines again by it. */
const imageLine = (chart: ReportChart) => `![Chart: ${chart.title}](${CHART_DIR}/${chart.file}.svg)`;
const IMAGE_LINE = /^!\[Chart: [^\]]*\]\(docs\/bench\/[\w-]+\.svg\)\n\n/gm;

/**
 * Draws every chart whose table `document` holds into `<root>/docs/bench/`, and answers the
 * document with each chart's image above its table (earlier chart lines are replaced, so a
 * redraw changes nothing when the figures did not change). A section without its table is left as is.
 */
export async function drawCharts(document: string, root: string): Promise<{ document: string; written: string[] }> {
  let result = document.replace(IMAGE_LINE, '');
  const written: string[] = [];
  for (const chart of REPORT_CHARTS) {
    const section = findSection(result, chart.section);
    const found = section === undefined ? undefined : findTable(section, chart.tableStartsWith);
    if (!section || !found || found.table.rows.length === 0) continue;
    mkdirSync(join(root, CHART_DIR), { recursive: true });
    const path = join(root, CHART_DIR, `${chart.file}.svg`);
    writeFileSync(path, await renderChart(chart, found.table));
    written.push(path);
    const lines = section.split('\n');
    lines.splice(found.line, 0, imageLine(chart), '');
    result = result.replace(section, () => lines.join('\n'));
  }
  return { document: result, written };
}
