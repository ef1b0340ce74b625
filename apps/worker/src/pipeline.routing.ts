import { PipelineRouting } from './fop-job.processor';

/** Routing of one instance: the commands it runs; steps of other commands are handed on. */
export class InstanceRouting implements PipelineRouting {
  constructor(private readonly ownCommands: ReadonlySet<string>) {}

  consumes(command: string): boolean {
    return this.ownCommands.has(command);
  }
}
