import 'reflect-metadata';
import { type JobName, jobNames } from './job-catalogue';

const HANDLED_JOBS = Symbol('fopflow:handled-jobs');

/** Thrown at start-up when an app's consumers do not take each of its kinds of job exactly once. */
export class JobHandlerError extends Error {
  override readonly name = 'JobHandlerError';
}

/** Marks a class as the consumer of jobs of `names` (from the job catalogue). */
export function JobHandler(...names: JobName[]): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(HANDLED_JOBS, names, target);
  };
}

/** The kinds of job a class says it consumes; none for a class without @JobHandler. */
export function handledJobs(target: object): JobName[] {
  return (Reflect.getMetadata(HANDLED_JOBS, target) as JobName[] | undefined) ?? [];
}

/**
 * Checks that the consumers among `classes` take every kind in `expected` exactly once, and no
 * kind the catalogue does not know; throws JobHandlerError naming each kind with none or two.
 */
export function checkJobHandlers(classes: readonly object[], expected: readonly JobName[]): void {
  const byName = new Map<string, string[]>();
  for (const target of new Set(classes)) {
    for (const name of handledJobs(target)) byName.set(name, [...(byName.get(name) ?? []), (target as { name?: string }).name ?? 'anonymous']);
  }
  const known = new Set<string>(jobNames());
  const problems = [
    ...expected.filter((name) => !byName.has(name)).map((name) => `job '${name}' has no handler`),
    ...[...byName]
      .filter(([, handlers]) => handlers.length > 1)
      .map(([name, handlers]) => `job '${name}' has ${handlers.length} handlers: ${handlers.join(', ')}`),
    ...[...byName.keys()].filter((name) => !known.has(name)).map((name) => `job '${name}' is not in the job catalogue`),
  ];
  if (problems.length) throw new JobHandlerError(`job handlers: ${problems.join('; ')}`);
}
