import { type FopStep, commandNames, commands, isCommandName } from './catalogue';
import { type CustomStep, type PipelineStep, isCustomCommandName, isCustomStep } from './custom-step';
import { FopSyntaxError } from './errors';
import { type OwnHostRule, everyHostIsOwn } from './mark-source.params';
import { checkObjectSetLast } from './object-set.step';
import { quoteToken } from './params';

/** Default of ParseOptions.maxSteps, matching FOPFLOW_MAX_PIPELINE_STEPS. */
export const defaultMaxPipelineSteps = 10;
/** Default of ParseOptions.maxLength, in UTF-16 code units (JavaScript string length). */
export const defaultMaxFopChars = 4096;

/** A parsed `a|b|c` fop. */
export interface FopPipeline<Step extends PipelineStep = PipelineStep> {
  steps: Step[];
  /** Canonical text of the whole pipeline: same meaning ⇒ same string (used as cache key). */
  normalized: string;
}

/** Limits checked before any step is parsed. */
export interface ParseOptions {
  /** Most steps allowed (default 10). */
  maxSteps?: number;
  /** Longest input in characters (default 4096). */
  maxLength?: number;
  /**
   * Commands registered at run time (UFOPs, third-party services): true for a name that is one.
   * `'any'` takes every well-formed name (a worker, whose jobs the gateway already checked).
   */
  customCommands?: ((name: string) => boolean) | 'any';
  /**
   * Which hosts are the platform's own (`ownHostOf(publicUrl)`): a mark URL on one names a stored
   * object, any other is an outside mark kept whole. Absent, every host is own.
   */
  isOwnHost?: OwnHostRule;
}

// C0 controls, DEL and C1 controls: never meaningful in a fop, and a newline in a cache key
// or log line is an injection waiting to happen.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

function checkedLimit(name: string, value: number): number {
  // A bad option is the caller's bug, not the client's, so it is not a FopSyntaxError.
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`ParseOptions.${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function rejectControlCharacters(input: string): void {
  const match = controlCharacter.exec(input);
  if (!match) return;
  const stepIndex = input.slice(0, match.index).split('|').length;
  const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  throw new FopSyntaxError(
    `control character U+${code} at position ${match.index + 1} in step ${stepIndex}`,
    match[0],
    stepIndex,
  );
}

function parseStep(text: string, stepIndex: number, options: ParseOptions): PipelineStep {
  const customCommands = options.customCommands;
  if (text === '') {
    throw new FopSyntaxError(`empty step ${stepIndex}: '|' must separate two commands`, text, stepIndex);
  }
  const [name, ...tokens] = text.split('/');
  if (name === '') {
    throw new FopSyntaxError(`step ${stepIndex} starts with '/' instead of a command name`, text, stepIndex);
  }
  if (!isCommandName(name) && isCustomCommandName(name) && (customCommands === 'any' || customCommands?.(name))) {
    return customStep(name, tokens);
  }
  if (!isCommandName(name)) {
    const known = commandNames().join(', ');
    throw new FopSyntaxError(
      `unknown command ${quoteToken(name)} in step ${stepIndex}; known commands: ${known}`,
      name,
      stepIndex,
    );
  }
  // One trailing '/' (`imageInfo/`, `imageView2/2/w/100/`) is a harmless habit of hand-written URLs.
  if (tokens.at(-1) === '') tokens.pop();
  return { command: name, args: commands[name].parse(tokens, stepIndex, { isOwnHost: options.isOwnHost ?? everyHostIsOwn }) } as FopStep;
}

/**
 * Parses `a|b|c`; throws FopSyntaxError (never anything else) on any bad input. Without
 * `customCommands` every step is an official command's.
 */
export function parsePipeline(input: string, options?: ParseOptions & { customCommands?: undefined }): FopPipeline<FopStep>;
export function parsePipeline(input: string, options?: ParseOptions): FopPipeline;
export function parsePipeline(input: string, options: ParseOptions = {}): FopPipeline {
  const maxSteps = checkedLimit('maxSteps', options.maxSteps ?? defaultMaxPipelineSteps);
  const maxLength = checkedLimit('maxLength', options.maxLength ?? defaultMaxFopChars);
  // Callers pass query values straight through; Express turns `?a&a` into an array.
  if (typeof input !== 'string') throw new FopSyntaxError(`fop must be a string, got ${typeof input}`);
  if (input === '') throw new FopSyntaxError('empty fop');
  if (input.length > maxLength) {
    throw new FopSyntaxError(`fop is ${input.length} characters long; at most ${maxLength} are allowed`);
  }
  rejectControlCharacters(input);
  const texts = input.split('|');
  if (texts.length > maxSteps) {
    throw new FopSyntaxError(`fop has ${texts.length} steps; at most ${maxSteps} are allowed`);
  }
  const steps = texts.map((text, i) => parseStep(text, i + 1, options));
  checkObjectSetLast(steps);
  const normalized = steps.map(formatStep).join('|');
  return { steps, normalized };
}

/** Canonical text of one step. */
export function formatStep(step: PipelineStep): string {
  return isCustomStep(step) ? step.args.text : commands[step.command].format(step.args);
}

/**
 * A custom program reads its own parameters, so the step's text goes to it as written: only a
 * trailing '/' is dropped, as for official commands.
 */
function customStep(name: string, tokens: string[]): CustomStep {
  if (tokens.at(-1) === '') tokens.pop();
  return { command: name, custom: true, args: { text: [name, ...tokens].join('/') } };
}
