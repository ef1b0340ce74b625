/** A table column: its header, and right alignment for figures. */
export interface Column {
  header: string;
  align: 'left' | 'right';
}

/** Left-aligned columns, for names and words. */
export function wordColumns(...headers: string[]): Column[] {
  return headers.map((header) => ({ header, align: 'left' }));
}

/** Right-aligned columns, for figures. */
export function figureColumns(...headers: string[]): Column[] {
  return headers.map((header) => ({ header, align: 'right' }));
}

/** A markdown table; every row must have one cell per column. */
export function markdownTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = columns.map((column) => (column.align === 'right' ? '---:' : '---'));
  return [line(columns.map((column) => column.header)), line(rule), ...rows.map(line)].join('\n');
}

/** The start and end markers that delimit section `name` in BENCHMARKS.md. */
export function sectionMarkers(name: string): { open: string; close: string } {
  return { open: `<!-- bench:${name} -->`, close: `<!-- /bench:${name} -->` };
}

/** `body` between the markers of `name`. */
export function wrapSection(name: string, body: string): string {
  const { open, close } = sectionMarkers(name);
  return `${open}\n${body.trim()}\n${close}`;
}

/** The marked section `name` of `document`, markers included; undefined when it has none. */
export function findSection(document: string, name: string): string | undefined {
  const { open, close } = sectionMarkers(name);
  const start = document.indexOf(open);
  const end = document.indexOf(close, start);
  if (start < 0 || end < 0) return undefined;
  return document.slice(start, end + close.length);
}

/** `document` with section `name` replaced by `body`, or with it added at the end when it has none. */
export function replaceSection(document: string, name: string, body: string): string {
  const current = findSection(document, name);
  const section = wrapSection(name, body);
  if (current === undefined) return `${document.trimEnd()}\n\n${section}\n`;
  return document.replace(current, () => section);
}

/** Formats a number with a fixed count of decimals; a dash when there is no figure. */
export function figure(value: number, decimals = 0): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : '–';
}
