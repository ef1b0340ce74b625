import { commandNames, type CommandName } from '@fopflow/fop';
import { mediaRuns } from './media.runs';
import type { StepRun } from './step-run';

/** The catalogue and the registered runs disagree: a command has no run, two, or a run has no command. */
export class IncompleteRunsError extends Error {}

/**
 * The run of each catalogue command, checked complete when it is made: a command with no run
 * or with two, or a run for a name the catalogue lacks, stops start-up naming it.
 */
export class StepRunRegistry {
  private readonly byCommand = new Map<string, StepRun>();

  constructor(runs: readonly StepRun[] = mediaRuns, commands: readonly string[] = commandNames()) {
    const problems: string[] = [];
    for (const run of runs) {
      if (this.byCommand.has(run.command)) problems.push(`'${run.command}' has two runs`);
      else if (!commands.includes(run.command)) problems.push(`'${run.command}' has a run but no catalogue entry`);
      this.byCommand.set(run.command, run);
    }
    for (const command of commands) if (!this.byCommand.has(command)) problems.push(`'${command}' has no run`);
    if (problems.length) throw new IncompleteRunsError(`media runs do not match the command catalogue: ${problems.join('; ')}`);
  }

  /** The run of `command`; undefined for names outside the catalogue (custom commands). */
  of(command: CommandName | string): StepRun | undefined {
    return this.byCommand.get(command);
  }
}
