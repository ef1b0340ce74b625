export * from './names';
export * from './payloads';
export * from './failure';
export * from './connection';
export * from './fop-producer';
