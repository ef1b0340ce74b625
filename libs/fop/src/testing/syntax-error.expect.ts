import type { CommandSpec } from '../command-spec';
import { FopSyntaxError } from '../errors';

/** Runs `run`, expects it to throw a FopSyntaxError and answers it for further assertions. */
export function thrownSyntaxError(run: () => unknown, what = 'a FopSyntaxError'): FopSyntaxError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FopSyntaxError);
    return error as FopSyntaxError;
  }
  throw new Error(`expected ${what}`);
}

/** parse/canonical/thrown for one command's spec, on step text written without the command name. */
export function commandTester<Args>(command: CommandSpec<Args>) {
  const parse = (text: string, stepIndex = 1) => command.parse(text === '' ? [] : text.split('/'), stepIndex);
  return {
    parse,
    canonical: (text: string) => command.format(parse(text)),
    thrown: (text: string, stepIndex = 1) => thrownSyntaxError(() => parse(text, stepIndex), `${text} to be rejected`),
  };
}
