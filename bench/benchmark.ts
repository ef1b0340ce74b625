/** Writes one progress line to the console while a benchmark runs. */
export type ProgressLog = (line: string) => void;

/** One benchmark of `npm run bench`: it measures, then answers its BENCHMARKS.md section. */
export interface Benchmark {
  /** Name on the command line (`npm run bench -- <name>`) and in the section markers. */
  readonly name: string;
  /** Runs every cell and returns the section's markdown, `##` heading included, markers excluded. */
  run(log: ProgressLog): Promise<string>;
}
