/**
 * Cuts text that arrives in chunks (an engine's JSON-lines stream, a build's output) into whole
 * lines: a line split across chunks is held until its end arrives.
 */
export class LineSplitter {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  /** Hands on what followed the last newline, if anything. */
  end(): void {
    const rest = this.pending;
    this.pending = '';
    if (rest) this.onLine(rest);
  }
}
