import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import Docker from 'dockerode';
import { dockerNamePart, dockerStatus } from '@fopflow/runtime';
import { UFOP_PORT, UFOP_USER_ID } from '../contract/ufop.contract';

/** Labels on both containers of a sandbox: how reap() finds them again, and whose they are. */
export const UFOP_SANDBOX_LABEL = {
  instance: 'fopflow.ufop.instance',
  name: 'fopflow.ufop.name',
  version: 'fopflow.ufop.version',
  role: 'fopflow.ufop.role',
} as const;

/** Image of the port container: only node is needed, and it is trusted (it runs Fopflow's forwarder). */
export const DEFAULT_SANDBOX_PORT_IMAGE = 'fopflow/node:20';
/** Where the port container sees the sandbox's socket directory. */
export const SANDBOX_SOCKET_DIR_IN_PORT = '/run/ufop';
/** The socket's file name, in socketDir on the host and in SANDBOX_SOCKET_DIR_IN_PORT inside. */
export const SANDBOX_SOCKET_NAME = 'handler.sock';
/**
 * uid and gid of the forwarder when the dispatcher runs as root. Not UFOP_USER_ID: without user
 * namespaces a uid is one kernel-wide identity (its keyring, RLIMIT_NPROC count), and the
 * program should share none of that with the process that carries its traffic.
 */
export const UFOP_FORWARDER_USER_ID = 10101;
/** Memory of the port container, in bytes: an idle node forwarder uses about 20 MiB. */
export const FORWARDER_MEMORY_BYTES = 64 * 1024 * 1024;
/** Processes and threads of the port container: node alone runs about ten threads. */
export const FORWARDER_PIDS_LIMIT = 64;

/** The quotas of one sandboxed program. */
export interface SandboxLimits {
  /** CPUs the program may use (fractions allowed), e.g. 0.5. */
  cpus: number;
  /** Memory, in bytes, with no swap on top; /tmp's contents count against it too. At least 6 MiB. */
  memoryBytes: number;
  /** Processes and threads the program may run at once. */
  pidsLimit: number;
  /** Size of the program's only writable place, /tmp, in bytes. */
  tmpfsBytes: number;
}

/** Whose a sandbox is: what its labels and names are made of. */
export interface SandboxIdentity {
  instanceId: string;
  ufop: string;
  version: string;
}

export type SandboxRole = 'port' | 'handler';

/**
 * The forwarder the port container runs: it owns the sandbox's only way in, a Unix socket, and
 * pipes each connection to the program on 127.0.0.1:9100 in the network namespace both share.
 * Either side failing drops both; a clean end from the program is passed on after its bytes, so
 * an answer is never cut short. 0666: a dispatcher under another uid may connect (socketDir's
 * own mode decides who can reach the socket at all).
 */
const FORWARDER_SCRIPT = `'use strict';
const fs = require('node:fs');
const net = require('node:net');
const socketPath = ${JSON.stringify(`${SANDBOX_SOCKET_DIR_IN_PORT}/${SANDBOX_SOCKET_NAME}`)};
try { fs.unlinkSync(socketPath); } catch {}
const server = net.createServer((client) => {
  const program = net.connect({ host: '127.0.0.1', port: ${UFOP_PORT} });
  const drop = () => { client.destroy(); program.destroy(); };
  client.on('error', drop);
  program.on('error', drop);
  client.on('close', drop);
  client.pipe(program);
  program.pipe(client);
});
server.listen(socketPath, () => fs.chmodSync(socketPath, 0o666));
process.on('SIGTERM', () => process.exit(0));
`;

const MIB = 1024 * 1024;
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } };

/** Container names: `fopflow-ufop-<instance id in docker's name charset>-<role>`. */
export function sandboxContainerName(instanceId: string, role: SandboxRole): string {
  return `fopflow-ufop-${dockerNamePart(instanceId)}-${role}`;
}

/** Rejects quotas the engine would refuse or that would leave the program no room, naming the field. */
export function checkSandboxLimits(limits: SandboxLimits): void {
  if (!(limits.cpus > 0)) throw new Error(`sandbox cpus must be above 0, got ${limits.cpus}`);
  // 6 MiB is the least memory limit Docker accepts.
  if (!(limits.memoryBytes >= 6 * MIB)) throw new Error(`sandbox memoryBytes must be at least 6 MiB, got ${limits.memoryBytes}`);
  if (!Number.isInteger(limits.pidsLimit) || limits.pidsLimit < 1) throw new Error(`sandbox pidsLimit must be a whole number above 0, got ${limits.pidsLimit}`);
  if (!Number.isInteger(limits.tmpfsBytes) || limits.tmpfsBytes < 1) throw new Error(`sandbox tmpfsBytes must be a whole number above 0, got ${limits.tmpfsBytes}`);
}

/** The trusted port container: no network but its own loopback, the socket directory, nothing else writable. */
export function portContainerSpec(portImage: string, socketDir: string, forwarder: { uid: number; gid: number }, limits: SandboxLimits): Docker.ContainerCreateOptions {
  return {
    Image: portImage,
    User: `${forwarder.uid}:${forwarder.gid}`,
    Entrypoint: ['node', '-e', FORWARDER_SCRIPT],
    Cmd: [],
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [{ Type: 'bind', Source: socketDir, Target: SANDBOX_SOCKET_DIR_IN_PORT }],
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: FORWARDER_MEMORY_BYTES,
      MemorySwap: FORWARDER_MEMORY_BYTES,
      PidsLimit: FORWARDER_PIDS_LIMIT,
      // Its work is copying the program's bytes: it never needs more CPU than the program has.
      NanoCpus: Math.round(limits.cpus * 1e9),
      RestartPolicy: { Name: 'no' },
      LogConfig: LOG_CONFIG,
    },
  };
}

/** The program's container, inside the port container's network namespace. */
export function handlerContainerSpec(image: string, portContainerId: string, limits: SandboxLimits): Docker.ContainerCreateOptions {
  return {
    Image: image,
    // Numeric, as the image declares it: the program never runs as root, whatever the image says.
    User: `${UFOP_USER_ID}:${UFOP_USER_ID}`,
    // No Env: the program gets its image's own environment and nothing of the dispatcher's.
    HostConfig: {
      // The port container's namespace has only `lo`: no route anywhere, not even the host.
      NetworkMode: `container:${portContainerId}`,
      IpcMode: 'private',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${limits.tmpfsBytes}` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: limits.pidsLimit,
      Memory: limits.memoryBytes,
      // Equal to Memory: the quota is a hard one, not Memory plus as much again in swap.
      MemorySwap: limits.memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      // The dispatcher decides about a dead program; the engine never revives it behind its back.
      RestartPolicy: { Name: 'no' },
      LogConfig: LOG_CONFIG,
    },
  };
}

/**
 * Makes socketDir writable by the forwarder and by nobody else but the dispatcher's group: as
 * root, the directory goes to UFOP_FORWARDER_USER_ID; as any other user (who cannot chown), the
 * forwarder runs as that same user instead. A stale socket from an earlier run is removed.
 * Returns the uid and gid the forwarder must run as.
 */
export async function prepareSocketDir(dir: string): Promise<{ uid: number; gid: number }> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const forwarder = uid === 0 ? { uid: UFOP_FORWARDER_USER_ID, gid: UFOP_FORWARDER_USER_ID } : { uid, gid };
  await mkdir(dir, { recursive: true, mode: 0o750 });
  await chown(dir, forwarder.uid, gid);
  await chmod(dir, 0o750);
  await rm(join(dir, SANDBOX_SOCKET_NAME), { force: true });
  return forwarder;
}

/** Fails with `missing` when the engine does not have the image (never pulls). */
export async function requireImage(docker: Docker, image: string, missing: string): Promise<void> {
  try {
    await docker.getImage(image).inspect();
  } catch (error) {
    if (dockerStatus(error) === 404) throw new Error(missing);
    throw error;
  }
}

/** Creates one of a sandbox's containers under its derived name, with its labels. */
export async function createSandboxContainer(
  docker: Docker,
  identity: SandboxIdentity,
  role: SandboxRole,
  spec: Docker.ContainerCreateOptions,
): Promise<Docker.Container> {
  const name = sandboxContainerName(identity.instanceId, role);
  try {
    return await docker.createContainer({
      ...spec,
      name,
      Labels: {
        [UFOP_SANDBOX_LABEL.instance]: identity.instanceId,
        [UFOP_SANDBOX_LABEL.name]: identity.ufop,
        [UFOP_SANDBOX_LABEL.version]: identity.version,
        [UFOP_SANDBOX_LABEL.role]: role,
      },
    });
  } catch (error) {
    if (dockerStatus(error) === 409) {
      throw new Error(`a UFOP sandbox container named ${name} already exists: instance ids must be unique (UfopSandbox.reap removes those of dead instances)`);
    }
    throw error;
  }
}

/** What demuxLogs needs of dockerode's modem (`docker.modem`, `container.modem`). */
export interface LogDemuxer {
  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
}

/**
 * A non-TTY container's logs as text, stdout and stderr interleaved as written: the engine frames
 * each write (8-byte headers), and dockerode's `modem.demuxStream` takes the frames apart (and
 * passes a TTY container's unframed logs through as they are).
 */
export async function demuxLogs(raw: Buffer | string, modem: LogDemuxer): Promise<string> {
  if (typeof raw === 'string') return raw;
  const parts: Buffer[] = [];
  // One sink for both streams keeps the order in which the program wrote them.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      parts.push(Buffer.from(chunk));
      done();
    },
  });
  const source = Readable.from([raw]);
  await new Promise<void>((resolve, reject) => {
    source.once('end', resolve).once('error', reject);
    modem.demuxStream(source, sink, sink);
  });
  return Buffer.concat(parts).toString('utf8');
}
