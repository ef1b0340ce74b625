export * from './failure';
export * from './fop-error';
