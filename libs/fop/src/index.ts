export { FopSyntaxError } from './errors';
export type { CommandFamily, CommandSpec, StepOutput } from './command-spec';
export type { ImageFormat, ImageView2Args } from './image-view2.command';
export { imageView2DefaultQuality } from './image-view2.command';
export type { ImageInfoArgs } from './image-info.command';
export type { CommandName, FopStep } from './catalogue';
export { commandNames, commands, isCommandName } from './catalogue';
export type { FopPipeline, ParseOptions } from './pipeline';
export { defaultMaxFopChars, defaultMaxPipelineSteps, parsePipeline } from './pipeline';
