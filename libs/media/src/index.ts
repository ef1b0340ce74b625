export * from './media.errors';
export * from './image-limits';
export * from './image-view2.geometry';
export * from './image.processor';
export * from './av-limits';
export * from './av.errors';
export type { AvOutput, AvStepContext, ProbeChecks } from './av-step.types';
export type { AvAudioStream, AvProbe, AvVideoStream } from './ffprobe.reader';
export * from './av.processor';
