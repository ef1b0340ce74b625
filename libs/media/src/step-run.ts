import type { CommandName, FopStep } from '@fopflow/fop';
import type { AvOpEnvironment, AvOutput, AvStepContext } from './av-step.types';
import type { MediaOutput } from './image.encoder';
import type { ImageInput } from './image.input';
import type { ImageLimits } from './image-limits';
import type { ImageStepContext } from './watermark.op';

/** The validated arguments of command `N`, as the catalogue parses them. */
export type ArgsOf<N extends CommandName> = Extract<FopStep, { command: N }>['args'];

/** A command run in this process on bytes in memory (sharp): its input never touches the disk. */
export interface InMemoryRun<N extends CommandName = CommandName> {
  command: N;
  runs: 'in-memory';
  run(input: ImageInput, args: ArgsOf<N>, limits: ImageLimits, context?: ImageStepContext): Promise<MediaOutput>;
}

/** A command run on a file by a child process (ffmpeg): its input is a local path, its output a file. */
export interface OnFileRun<N extends CommandName = CommandName> {
  command: N;
  runs: 'on-file';
  run(args: ArgsOf<N>, inputPath: string, context: AvStepContext, env: AvOpEnvironment): Promise<AvOutput>;
}

/** How one catalogue command is carried out: exactly one per command, listed in media.runs.ts. */
export type StepRun = InMemoryRun<any> | OnFileRun<any>;

/** Registers `command` as run in memory by `run`. */
export function inMemoryRun<N extends CommandName>(command: N, run: InMemoryRun<N>['run']): InMemoryRun<N> {
  return { command, runs: 'in-memory', run };
}

/** Registers `command` as run on files by `run`. */
export function onFileRun<N extends CommandName>(command: N, run: OnFileRun<N>['run']): OnFileRun<N> {
  return { command, runs: 'on-file', run };
}
