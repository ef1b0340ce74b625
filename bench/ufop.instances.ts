import type Docker from 'dockerode';
import type { ProgressLog } from './benchmark';
import { InstancesLook, LiveInstance, readyOf, UfopCommandApi } from './ufop.commands';
import { COLD_START_TRIALS, ColdStart, GONE_TIMEOUT_MS, READY_TIMEOUT_MS, UFOP_NAME } from './ufop.plan';
import { removeSandboxesNow, sandboxesLeft, sandboxProcesses } from './ufop.sandboxes';
import { BenchChild, cleanUpOnExit } from './support/cleanup';
import { adoptProcess } from './support/cpu';
import { waitFor } from './support/ports';

/**
 * The instances and sandboxes a run has seen, so that none outlives it: instance workers are the
 * scaler's children and sandboxes the engine's containers, so a killed bench would leave both.
 * An interrupted run kills the workers and removes the sandboxes on its way out; a finished one
 * checks, once the scaler has stopped its instances, that they are gone.
 */
export class SeenInstances {
  /** Instance ids of every sandbox seen: the platform's instances' and the program alone's. */
  readonly ids = new Set<string>();
  private readonly workerPids = new Set<number>();
  private readonly forgetExitHook: () => void;

  constructor() {
    this.forgetExitHook = cleanUpOnExit(() => {
      this.workerPids.forEach(killQuietly);
      removeSandboxesNow(this.ids);
    });
  }

  /** Notes every instance of a look; answers it, to be used inside the tests of `until`. */
  note(live: readonly LiveInstance[]): readonly LiveInstance[] {
    for (const instance of live) {
      this.ids.add(instance.id);
      this.workerPids.add(instance.pid);
    }
    return live;
  }

  /** Counts instances' workers and their sandboxes' processes as the bench's own CPU, not another process's. */
  async adopt(docker: Docker, live: readonly LiveInstance[]): Promise<void> {
    for (const instance of live) {
      adoptProcess(instance.pid);
      Object.values(await sandboxProcesses(docker, instance.id)).forEach(adoptProcess);
    }
  }

  /** After the scaler has stopped: kills a worker still running, removes a sandbox left, and says so. */
  async cleanUp(docker: Docker, log: ProgressLog): Promise<void> {
    const running = [...this.workerPids].filter(isAlive);
    running.forEach(killQuietly);
    if (running.length) log(`killed ${running.length} instance worker(s) the scaler left running`);
    if (await sandboxesLeft(docker, this.ids).catch(() => true)) {
      removeSandboxesNow(this.ids);
      log('removed sandbox containers left after the run');
    }
    this.forgetExitHook();
  }
}

/**
 * `resize -n 1` from 0 to the first ready instance, COLD_START_TRIALS times; the last instance
 * stays for the load. Each trial starts once the one before is gone: instance, worker and sandbox.
 */
export async function measureColdStarts(
  command: UfopCommandApi,
  scaler: BenchChild,
  docker: Docker,
  seen: SeenInstances,
  log: ProgressLog,
): Promise<ColdStart[]> {
  const starts: ColdStart[] = [];
  let previous: LiveInstance | undefined;
  for (let trial = 1; trial <= COLD_START_TRIALS; trial++) {
    if (previous) await command.resize(0);
    await command.until('no instance', (live) => seen.note(live).length === 0, GONE_TIMEOUT_MS);
    if (previous) await waitForGone(docker, previous);
    const resizeAt = Date.now();
    await command.resize(1);
    const look: InstancesLook = await command.until('a ready instance', (live) => readyOf(seen.note(live)).length > 0, READY_TIMEOUT_MS);
    const [instance] = readyOf(look.live);
    const start = coldStart(instance, resizeAt, look.at, scaler.output());
    log(`cold start ${trial}: ready ${start.totalMs} ms after resize -n 1 (sandbox ${start.sandboxMs ?? '?'} ms)`);
    starts.push(start);
    previous = instance;
  }
  return starts;
}

/** The parts of a cold start: the instance's own start record, and its worker's log (which the scaler passes on). */
function coldStart(instance: LiveInstance, resizeAt: number, readyAt: number, output: string): ColdStart {
  const id = escapeRegExp(instance.id);
  return {
    totalMs: readyAt - resizeAt,
    processMs: instance.startedAt - resizeAt,
    warmingMs: loggedMs(output, new RegExp(`${id} \\(pool [^)]*\\) warmed up in (\\d+) ms`)),
    sandboxMs: loggedMs(output, new RegExp(`started ${UFOP_NAME} \\S+ for ${id} in (\\d+) ms`)),
  };
}

/** Waits until a retired instance's worker has exited and its sandbox is removed. */
async function waitForGone(docker: Docker, instance: LiveInstance): Promise<void> {
  const gone = async () => !isAlive(instance.pid) && !(await sandboxesLeft(docker, new Set([instance.id])));
  await waitFor(`${instance.id} gone`, gone, GONE_TIMEOUT_MS);
}

function loggedMs(output: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(output);
  return match ? Number(match[1]) : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
