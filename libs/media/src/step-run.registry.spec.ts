import { commandNames } from '@fopflow/fop';
import { mediaRuns } from './media.runs';
import { inMemoryRun, onFileRun } from './step-run';
import { IncompleteRunsError, StepRunRegistry } from './step-run.registry';

const noImage = async () => ({ data: Buffer.alloc(0), mime: 'image/png' });
const noFile = async () => ({ path: '/dev/null', mime: 'video/mp4' });

describe('StepRunRegistry', () => {
  it('has exactly one run for every command of the catalogue', () => {
    const registry = new StepRunRegistry();
    for (const command of commandNames()) expect(registry.of(command)?.command).toBe(command);
    expect(mediaRuns).toHaveLength(commandNames().length);
  });

  it('refuses a catalogue command without a run, naming it', () => {
    const runs = mediaRuns.filter((run) => run.command !== 'watermark');
    expect(() => new StepRunRegistry(runs)).toThrow(IncompleteRunsError);
    expect(() => new StepRunRegistry(runs)).toThrow("'watermark' has no run");
  });

  it('refuses a command with two runs, naming it', () => {
    expect(() => new StepRunRegistry([...mediaRuns, inMemoryRun('imageView2', noImage)])).toThrow("'imageView2' has two runs");
  });

  it('refuses a run whose command the catalogue lacks', () => {
    const catalogueWithoutAvinfo = commandNames().filter((name) => name !== 'avinfo');
    expect(() => new StepRunRegistry([...mediaRuns], catalogueWithoutAvinfo)).toThrow("'avinfo' has a run but no catalogue entry");
    expect(() => new StepRunRegistry([onFileRun('avinfo', noFile)], ['avinfo'])).not.toThrow();
  });
});
