import type { FopStep } from './catalogue';

/**
 * A step of a command registered at run time: a UFOP (a user's program in a container) or a
 * third-party HTTP service. Fopflow does not know its parameters; the program gets the step's
 * text as `cmd` and validates it itself, as Qiniu's UFOP contract has it.
 */
export interface CustomStep {
  command: string;
  custom: true;
  args: { text: string };
}

/** Any step of a pipeline: an official command's or a custom one's. */
export type PipelineStep = FopStep | CustomStep;

/**
 * Names a custom command may have: lower-case letters and digits with single '-' between them,
 * starting with a letter, 2–40 characters. Image references (`ufop/<owner>-<name>`), queue names
 * (`fop.<name>.<tier>`) and URLs take such a name without escaping.
 */
export const CUSTOM_COMMAND_NAME = /^(?=.{2,40}$)[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export function isCustomCommandName(name: string): boolean {
  return CUSTOM_COMMAND_NAME.test(name);
}

export function isCustomStep(step: PipelineStep): step is CustomStep {
  return 'custom' in step;
}
