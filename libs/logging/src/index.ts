export * from './log-context';
export * from './request-id';
export * from './logger.module';
export { Logger as FopflowLogger } from 'nestjs-pino';
