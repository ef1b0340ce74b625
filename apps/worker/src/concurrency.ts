import { readFileSync } from 'node:fs';

interface ConcurrencyFile {
  commands?: Record<string, number>;
  default?: number;
  /** libvips threads per image, measured together with the jobs per command. */
  imageThreads?: number;
}

const FALLBACK_CONCURRENCY = 1;

/**
 * Per-command concurrency: the measured file first, then the override (`4` for every command,
 * or `imageView2=4,imageInfo=8`). A malformed override or file stops start-up, naming it.
 */
export function resolveConcurrency(commands: readonly string[], file: string, override: string): Record<string, number> {
  const measured = readConcurrencyFile(file);
  const fallback = measured.default ?? FALLBACK_CONCURRENCY;
  const result = Object.fromEntries(commands.map((command) => [command, measured.commands?.[command] ?? fallback]));
  const trimmed = override.trim();
  if (!trimmed) return result;
  if (/^\d+$/.test(trimmed)) return Object.fromEntries(commands.map((command) => [command, positive(trimmed, 'FOPFLOW_CONCURRENCY')]));
  for (const pair of trimmed.split(',')) {
    const [command, value] = pair.split('=').map((part) => part.trim());
    if (!commands.includes(command)) throw new Error(`FOPFLOW_CONCURRENCY: unknown command '${command}' (known: ${commands.join(', ')})`);
    result[command] = positive(value, `FOPFLOW_CONCURRENCY for ${command}`);
  }
  return result;
}

/**
 * libvips threads per image: the override (FOPFLOW_IMAGE_THREADS), else the measured file's
 * `imageThreads`; undefined leaves sharp's own default. A bad value in the file stops start-up.
 */
export function resolveImageThreads(file: string, override: string): number | undefined {
  if (override.trim()) return positive(override.trim(), 'FOPFLOW_IMAGE_THREADS');
  const measured = readConcurrencyFile(file).imageThreads;
  return measured === undefined ? undefined : positive(String(measured), `${file}: imageThreads`);
}

function readConcurrencyFile(file: string): ConcurrencyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    return JSON.parse(text) as ConcurrencyFile;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

function positive(value: string | undefined, what: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${what}: '${value}' is not a whole number of at least 1`);
  return number;
}
