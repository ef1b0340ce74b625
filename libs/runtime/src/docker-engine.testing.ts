import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Docker from 'dockerode';

/** Test-only helpers of the docker and swarm runtime specs (not exported from index.ts). */

const repoRoot = join(__dirname, '..', '..', '..');
/** Longer than any real build here (a cold base image takes about a minute). */
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** A worker stand-in: on SIGTERM it takes 1 s to "finish its jobs" and exits 0; IGNORE_TERM=1 makes it deaf to SIGTERM. */
export const TERM_LOOP_IMAGE = 'fopflow-test/term-loop:latest';
const TERM_LOOP_DOCKERFILE = `FROM fopflow/debian:bookworm
LABEL org.opencontainers.image.title="fopflow runtime spec: SIGTERM loop"
CMD ["bash", "-c", "if [ \\"$IGNORE_TERM\\" = 1 ]; then trap '' TERM; else trap 'sleep 1; exit 0' TERM; fi; while :; do sleep 1 & wait $!; done"]
`;

/** What a missing engine costs: the failure names the command that fixes it (no skipping, in CI or not). */
const FIX =
  'apt-get install -y docker.io debootstrap && bash docker/base-image.sh ' +
  '(as root it starts dockerd and builds the base images; .ci/run does this before npm test)';

/** Fails unless a Docker engine answers. */
export async function requireDockerEngine(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
    throw new Error(`these specs need a running Docker engine and ${where} does not answer (${(error as Error).message}). Fix: ${FIX}`);
  }
}

/** Fails unless this engine is a swarm manager. */
export async function requireSwarmManager(docker: Docker): Promise<void> {
  const info = await docker.info();
  if (info.Swarm?.LocalNodeState !== 'active' || !info.Swarm?.ControlAvailable) {
    throw new Error(
      `the swarm runtime specs need this engine to be a swarm manager (swarm state: ${info.Swarm?.LocalNodeState}). ` +
        'Fix: docker swarm init --advertise-addr 127.0.0.1 (.ci/run does this)',
    );
  }
}

/** Makes sure fopflow/debian:bookworm exists (docker/base-image.sh; fast when warm), then builds the test image on it. */
export function buildTermLoopImage(): void {
  run('bash', [join(repoRoot, 'docker', 'base-image.sh')]);
  run('docker', ['build', '-q', '-t', TERM_LOOP_IMAGE, '-'], TERM_LOOP_DOCKERFILE);
}

function run(command: string, args: string[], input?: string): void {
  // Synchronous, so no jest timeout can interrupt it: its own limit turns a stuck build into a failure.
  const result = spawnSync(command, args, { cwd: repoRoot, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: BUILD_TIMEOUT_MS });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    throw new Error(`${command} ${args.join(' ')} did not finish within ${BUILD_TIMEOUT_MS / 60_000} minutes:\n${(result.stderr || result.stdout || '').slice(-4000)}`);
  }
  if (result.error) throw new Error(`${command} could not run (${result.error.message}). Fix: ${FIX}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${(result.stderr || result.stdout).slice(-4000)}`);
  }
}

/** Resolves with the exit code of the next `die` of the container labelled with this instance id. */
export async function nextExitCode(docker: Docker, instanceId: string): Promise<() => Promise<number>> {
  const events = (await docker.getEvents({
    filters: { type: ['container'], event: ['die'], label: [`fopflow.instance=${instanceId}`] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  // Subscribed before the caller acts: the die event cannot slip past.
  const exitCode = new Promise<number>((resolve, reject) => {
    let buffered = '';
    events.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n'); // one JSON event per line
      if (end < 0) return;
      const line = buffered.slice(0, end);
      const event = JSON.parse(line) as { Actor: { Attributes: Record<string, string> } };
      events.destroy();
      resolve(Number(event.Actor.Attributes.exitCode));
    });
    events.on('error', reject);
  });
  return () => exitCode;
}

/** Polls until `check` holds, or fails naming what it waited for. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
