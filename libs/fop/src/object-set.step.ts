import { commands } from './catalogue';
import { type PipelineStep, isCustomStep } from './custom-step';
import { FopSyntaxError } from './errors';

/** True when the step writes a set of objects (HLS, vsample): async only, last in its pipeline. */
export function writesObjectSet(step: PipelineStep): boolean {
  if (isCustomStep(step)) return false;
  return commands[step.command].writesObjectSet?.(step.args) ?? false;
}

/** True when a fop URL (sync) may not run the step: object sets and async-only commands. */
export function isAsyncOnly(step: PipelineStep): boolean {
  return !isCustomStep(step) && (commands[step.command].syncAllowed === false || writesObjectSet(step));
}

/** A set of objects feeds no further step: a playlist or a series is not one input. */
export function checkObjectSetLast(steps: readonly PipelineStep[]): void {
  const index = steps.findIndex(writesObjectSet);
  if (index >= 0 && index < steps.length - 1) {
    throw new FopSyntaxError(
      `${steps[index].command}: writes a set of objects (a playlist and segments, or a series of images), so it must be the last step (step ${index + 1})`,
      steps[index].command,
      index + 1,
    );
  }
}
