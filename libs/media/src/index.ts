export * from './media.errors';
export * from './image-limits';
export * from './image-view2.geometry';
export * from './image.processor';
