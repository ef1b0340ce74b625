import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Longer than any real build here (a cold one takes about a minute, a warm one 20 s). */
const IMAGE_BUILD_TIMEOUT_MS = 15 * 60_000;

/**
 * Builds fopflow/worker:latest from this checkout (the build is already done by npm test). A
 * missing Docker engine fails here with the command that fixes it: never a silent skip.
 */
export async function buildWorkerImage(): Promise<void> {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore' });
  } catch {
    throw new Error("these tests need a Docker engine: run 'bash docker/base-image.sh' as root (it starts dockerd); npm test does all of it");
  }
  // Synchronous, so no jest timeout can interrupt it: its own limit turns a stuck build into a failure.
  execFileSync('bash', ['docker/build-images.sh'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, FOPFLOW_SKIP_NPM_BUILD: '1' },
    timeout: IMAGE_BUILD_TIMEOUT_MS,
  });
}

/** Removes the test pools' worker containers (they outlive their scaler by design); others' pools stay. */
export async function removeContainers(pools: readonly string[] = ['image', 'av']): Promise<void> {
  const ids = pools
    .flatMap((pool) => execFileSync('docker', ['ps', '-aq', '--filter', `label=fopflow.pool=${pool}`]).toString().split(/\s+/))
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
}

/** Removes the test pools' worker services, and waits for their containers to go. */
export async function removeServices(pools: readonly string[] = ['image', 'av']): Promise<void> {
  const ids = pools
    .map((pool) => `fopflow-${pool}-`)
    .flatMap((prefix) => execFileSync('docker', ['service', 'ls', '-q', '--filter', `name=${prefix}`]).toString().split(/\s+/))
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['service', 'rm', ...ids], { stdio: 'ignore' });
  for (let tries = 0; tries < 60; tries++) {
    if (!execFileSync('docker', ['ps', '-q', '--filter', 'label=com.docker.swarm.service.name']).toString().trim()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
