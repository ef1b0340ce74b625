import { commands } from './catalogue';
import { type PipelineStep, isCustomStep } from './custom-step';
import type { ObjectRef } from './encoded.params';

/** A stored object a pipeline reads besides its input, and which step names it. */
export interface StepReference extends ObjectRef {
  /** 1-based step number. */
  stepIndex: number;
  command: string;
}

/**
 * Every stored object the steps read besides their input, in step order. A custom command gets
 * only its input's bytes, never a reference to another object, so it names none.
 */
export function objectReferences(steps: readonly PipelineStep[]): StepReference[] {
  return steps.flatMap((step, index) =>
    isCustomStep(step) ? [] : commands[step.command].references(step.args).map((ref) => ({ ...ref, stepIndex: index + 1, command: step.command })),
  );
}

/** An outside URL a pipeline fetches (a mark on another site), and which step names it. */
export interface StepFetch {
  url: string;
  /** 1-based step number. */
  stepIndex: number;
  command: string;
}

/** Every outside URL the steps fetch, in step order; custom commands fetch none on the platform's behalf. */
export function outsideFetches(steps: readonly PipelineStep[]): StepFetch[] {
  return steps.flatMap((step, index) =>
    isCustomStep(step) ? [] : (commands[step.command].fetches?.(step.args as never) ?? []).map((url) => ({ url, stepIndex: index + 1, command: step.command })),
  );
}
