import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import Docker from 'dockerode';
import { writeTar } from '../build/tar-archive';
import { UfopBuilder } from '../build/ufop.builder';
import { requireDockerEngine } from '../../../runtime/src/docker-engine.testing';

/** Test-only helpers of the sandbox spec (not exported from index.ts). */

/** The misbehaving UFOP: echoes, fails, hangs, crashes or hogs memory as its cmd asks (see its server.js). */
export const MISBEHAVING_DIR = join(__dirname, 'misbehaving');

/** Fails unless a Docker engine answers and has the base image the fixture and the port container run on. */
export async function requireSandboxEngine(docker: Docker): Promise<void> {
  await requireDockerEngine(docker);
  try {
    await docker.getImage('fopflow/node:20').inspect();
  } catch {
    throw new Error("base image fopflow/node:20 is missing. Fix: bash docker/base-image.sh (as root; .ci/run does this before npm test)");
  }
}

/**
 * The host's address on the engine's default bridge: the gateway a container on that bridge
 * routes through. A fresh engine records only the subnet in the network's IPAM config; the
 * engine then gives the bridge the subnet's first host address.
 */
export async function bridgeGateway(docker: Docker): Promise<string> {
  const bridge = (await docker.getNetwork('bridge').inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string; Subnet?: string }> } };
  const config = bridge.IPAM?.Config?.find((entry) => /^\d+\.\d+\.\d+\.\d+/.test(entry.Subnet ?? entry.Gateway ?? ''));
  if (config?.Gateway) return config.Gateway;
  const subnet = config?.Subnet?.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/);
  if (!subnet) throw new Error(`the engine's bridge network has no IPv4 subnet (IPAM: ${JSON.stringify(bridge.IPAM)})`);
  const bits = Number(subnet[5]);
  const network = subnet.slice(1, 5).reduce((value, octet) => value * 256 + Number(octet), 0);
  const first = (bits === 0 ? 0 : Math.floor(network / 2 ** (32 - bits)) * 2 ** (32 - bits)) + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
}

/**
 * Builds the misbehaving UFOP as a user would upload it, through UfopBuilder; `run` replaces its
 * ufop.yaml's run line (a program that never starts, say). Returns the image tag.
 */
export async function buildMisbehavingUfop(docker: Docker, owner: string, name: string, run?: string): Promise<string> {
  const files = readdirSync(MISBEHAVING_DIR).map((file) => {
    let data = readFileSync(join(MISBEHAVING_DIR, file));
    if (file === 'ufop.yaml' && run !== undefined) data = Buffer.from(data.toString('utf8').replace(/^run: .*$/m, `run: ${JSON.stringify(run)}`));
    return { name: file, data };
  });
  const result = await new UfopBuilder({ docker }).build({ owner, name, version: 'v1', tarball: gzipSync(writeTar(files)) });
  return result.image;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `node -e script` inside a running container as the container's own user (10100 for a handler). */
export async function execNode(docker: Docker, container: string, script: string, args: string[] = []): Promise<ExecResult> {
  const exec = await docker.getContainer(container).exec({ Cmd: ['node', '-e', script, ...args], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Runs a script that prints one JSON value and returns it parsed; fails with its stderr otherwise. */
export async function execNodeJson<T>(docker: Docker, container: string, script: string, args: string[] = []): Promise<T> {
  const result = await execNode(docker, container, script, args);
  if (result.exitCode !== 0) throw new Error(`node -e in ${container} exited ${result.exitCode}: ${result.stderr || result.stdout}`);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`node -e in ${container} printed no JSON: ${result.stdout}\n${result.stderr}`);
  }
}
