import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import Docker from 'dockerode';
import { BUILD_DONE_MARKER, BUILD_STEP_MARKER, generateDockerfile, UFOP_SOURCE_FILE } from './dockerfile.generator';
import { LineSplitter } from './line-splitter';
import { readTar, TarEntry, writeTar } from './tar-archive';
import { parseUfopManifest, UfopManifest, UfopManifestOptions } from './ufop-manifest';
import { MAX_BUILD_LOG_LINES } from '../registry/command.registry';
import { UfopBuildError, UfopManifestError, UfopRequestError } from '../ufop.errors';

/** Registry host the image tags name when the caller gives none (tag only: nothing is pushed yet). */
export const DEFAULT_UFOP_REGISTRY = 'localhost:5000';
/** Largest upload unpacked, in bytes, so a gzip bomb cannot fill memory while ufop.yaml is looked for. */
export const DEFAULT_MAX_UNPACKED_BYTES = 512 * 1024 * 1024;
/** Longest a build may take, in ms, before it is abandoned. */
export const DEFAULT_BUILD_TIMEOUT_MS = 10 * 60 * 1000;
/**
 * Network of build steps: none. The bases carry what UFOPs need, and a step on a network could
 * reach the platform's own services (gateway, Redis) and link-local metadata addresses.
 */
export const DEFAULT_BUILD_NETWORK = 'none';
/** Memory of a build step, in bytes (swap included: none beyond it). */
export const DEFAULT_BUILD_MEMORY_BYTES = 1024 * 1024 * 1024;
/** CPUs a build step may use, in cores. */
export const DEFAULT_BUILD_CPUS = 1;
/** The CFS period CPU quotas are measured in, in µs (the kernel's default). */
const CPU_PERIOD_US = 100_000;
/** Build log lines kept per build (the latest ones): the registry's bound, where the log is kept. */
export const DEFAULT_MAX_LOG_LINES = MAX_BUILD_LOG_LINES;
/** Log lines a UfopBuildError carries. */
export const BUILD_ERROR_LOG_TAIL_LINES = 30;

/** Labels on every UFOP image: which upload it came from, for listing and clean-up. */
export const UFOP_IMAGE_LABEL = { owner: 'fopflow.ufop.owner', name: 'fopflow.ufop.name', version: 'fopflow.ufop.version' } as const;

export interface UfopBuilderOptions extends UfopManifestOptions {
  /** Engine client; default `new Docker()` (DOCKER_HOST, else /var/run/docker.sock). */
  docker?: Docker;
  /** Default DEFAULT_MAX_UNPACKED_BYTES. */
  maxUnpackedBytes?: number;
  /** Default DEFAULT_BUILD_TIMEOUT_MS. */
  buildTimeoutMs?: number;
  /** Docker network of the build steps; default DEFAULT_BUILD_NETWORK (`none`). */
  buildNetwork?: string;
  /** Memory limit of each build step, in bytes; default DEFAULT_BUILD_MEMORY_BYTES. */
  buildMemoryBytes?: number;
  /** CPU limit of each build step, in cores; default DEFAULT_BUILD_CPUS. */
  buildCpus?: number;
  /** Default DEFAULT_MAX_LOG_LINES. */
  maxLogLines?: number;
}

export interface UfopBuildRequest {
  /** The UFOP's owner (account); part of the image name, so lower-case letters, digits, `.`, `_`, `-`. */
  owner: string;
  /** The UFOP's name; same rule as owner. */
  name: string;
  /** The version being built; becomes the image tag. */
  version: string;
  /** The uploaded tar.gz (or plain tar) with ufop.yaml at its root. */
  tarball: Buffer;
  /** Registry host:port in the tag (default DEFAULT_UFOP_REGISTRY). */
  registry?: string;
  /** Called with each build log line as the engine prints it (for logs a user can follow). */
  onLog?: (line: string) => void;
}

export interface UfopBuildResult {
  /** `<registry>/ufop/<owner>-<name>:<version>`. */
  image: string;
  /** The build log, line by line (the latest maxLogLines). */
  logs: string[];
  durationMs: number;
  manifest: UfopManifest;
}

// Docker's reference grammar: path components and tags.
const NAME_PART = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REGISTRY = /^[A-Za-z0-9.-]+(?::[0-9]+)?$/;

/** The image a UFOP version is built as. */
export function ufopImageTag(request: Pick<UfopBuildRequest, 'owner' | 'name' | 'version' | 'registry'>): string {
  const registry = request.registry ?? DEFAULT_UFOP_REGISTRY;
  if (!REGISTRY.test(registry)) throw new UfopRequestError(`registry must be host[:port], got '${registry}'`);
  for (const key of ['owner', 'name'] as const) {
    if (!NAME_PART.test(request[key])) throw new UfopRequestError(`${key} must be lower-case letters, digits and . _ - between them, got '${request[key]}'`);
  }
  if (!TAG.test(request.version)) throw new UfopRequestError(`version must be letters, digits, . _ - (up to 128), got '${request.version}'`);
  return `${registry}/ufop/${request.owner}-${request.name}:${request.version}`;
}

/**
 * Builds a UFOP upload into a runnable image: ufop.yaml is validated before the engine is
 * touched, the generated Dockerfile and the upload go to the engine as one tar context, and the
 * engine's build stream is kept line by line so a failure can name the build_script line.
 */
export class UfopBuilder {
  private readonly logger = new Logger('UfopBuilder');
  private readonly docker: Docker;

  constructor(private readonly options: UfopBuilderOptions = {}) {
    this.docker = options.docker ?? new Docker();
  }

  /**
   * The upload as the image gets it: regular files only, owned by root, readable by all and
   * executable where the upload said so, every path inside $RESOURCE. (Links, devices and odd
   * owners in a user's tarball stop here rather than in the image.)
   */
  private repack(entries: readonly TarEntry[]): Buffer {
    return writeTar(
      entries.map((entry) => {
        const name = entry.name.replace(/^\/+/, '');
        if (name === '' || name.split('/').some((part) => part === '..')) throw new UfopRequestError(`the upload holds a path outside its directory: '${entry.name}'`);
        return { name, data: entry.data, mode: (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644 };
      }),
    );
  }

  async build(request: UfopBuildRequest): Promise<UfopBuildResult> {
    const started = Date.now();
    const image = ufopImageTag(request);
    // Unpacked once: the manifest is read from the same entries the image gets.
    const entries = readUploadEntries(request.tarball, this.options);
    const manifest = manifestOf(entries, this.options);
    const context = writeContext(generateDockerfile(manifest), this.repack(entries));
    const logs: string[] = [];
    const maxLogLines = this.options.maxLogLines ?? DEFAULT_MAX_LOG_LINES;
    const keep = (line: string): void => {
      request.onLog?.(line);
      logs.push(line);
      if (logs.length > maxLogLines) logs.splice(0, logs.length - maxLogLines);
    };

    const memoryBytes = this.options.buildMemoryBytes ?? DEFAULT_BUILD_MEMORY_BYTES;
    const stream = await this.docker.buildImage(Readable.from([context]), {
      t: image,
      labels: { [UFOP_IMAGE_LABEL.owner]: request.owner, [UFOP_IMAGE_LABEL.name]: request.name, [UFOP_IMAGE_LABEL.version]: request.version },
      // Failed steps leave no intermediate containers behind.
      rm: true,
      forcerm: true,
      // Every RUN step is confined: no network by default, bounded memory (no swap) and CPU.
      networkmode: this.options.buildNetwork ?? DEFAULT_BUILD_NETWORK,
      memory: memoryBytes,
      memswap: memoryBytes,
      cpuperiod: CPU_PERIOD_US,
      cpuquota: Math.round((this.options.buildCpus ?? DEFAULT_BUILD_CPUS) * CPU_PERIOD_US),
    });
    const engineError = await this.follow(stream, keep);
    const durationMs = Date.now() - started;
    if (engineError !== undefined) throw this.failure(engineError, manifest, logs);
    this.logger.log(`built ${image} in ${durationMs} ms`);
    return { image, logs, durationMs, manifest };
  }

  /** Reads the engine's JSON-lines build stream; resolves with the engine's error message, if any. */
  private follow(stream: NodeJS.ReadableStream, keep: (line: string) => void): Promise<string | undefined> {
    const timeoutMs = this.options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let error: string | undefined;
      // A stream chunk may end mid-line; the rest comes with the next event.
      const log = new LineSplitter((line) => {
        if (line.trim() !== '') keep(line.replace(/\s+$/, ''));
      });
      const timer = setTimeout(() => {
        // Closing the connection is how the engine's API cancels a classic build.
        (stream as Readable).destroy();
        resolve(`the build took longer than buildTimeoutMs ${timeoutMs} and was stopped`);
      }, timeoutMs);
      const onEvent = (raw: string): void => {
        if (!raw.trim()) return;
        let event: { stream?: string; error?: string; errorDetail?: { message?: string } };
        try {
          event = JSON.parse(raw);
        } catch {
          event = { stream: `${raw}\n` };
        }
        if (event.stream) log.push(event.stream);
        if (event.error) error = event.errorDetail?.message ?? event.error;
      };
      const events = new LineSplitter(onEvent);
      stream.on('data', (chunk: Buffer) => events.push(chunk.toString('utf8')));
      stream.on('end', () => {
        clearTimeout(timer);
        events.end();
        log.end();
        resolve(error);
      });
      stream.on('error', (streamError) => {
        clearTimeout(timer);
        reject(streamError);
      });
    });
  }

  /** Names the build_script line that failed from the last step marker the build printed. */
  private failure(engineError: string, manifest: UfopManifest, logs: string[]): UfopBuildError {
    const tail = logs.slice(-BUILD_ERROR_LOG_TAIL_LINES);
    // Only lines the echo printed start with the marker; the "Step n : RUN" line merely contains it.
    let lastStep: number | undefined;
    let cleanupReached = false;
    for (const line of logs) {
      const step = line.startsWith(`${BUILD_STEP_MARKER}[`) ? /^[^[]*\[(\d+)\]/.exec(line) : null;
      if (step) lastStep = Number(step[1]);
      if (line === BUILD_DONE_MARKER) cleanupReached = true;
    }
    if (lastStep !== undefined && !cleanupReached) {
      const line = manifest.buildScriptLines[lastStep];
      const where = line ? ` (ufop.yaml line ${line})` : '';
      return new UfopBuildError(`build_script[${lastStep}]${where} failed: ${manifest.buildScript[lastStep]} — ${engineError}`, tail, lastStep);
    }
    const stage = cleanupReached ? 'after build_script, while cleaning up' : 'before build_script ran';
    return new UfopBuildError(`the image build failed ${stage}: ${engineError}`, tail);
  }
}

/**
 * Reads and validates the ufop.yaml at the root of an upload, without an engine: the gateway
 * checks an upload with it before anything is stored or queued.
 */
export function readUploadManifest(tarball: Buffer, options: Pick<UfopBuilderOptions, 'maxUnpackedBytes' | 'allowedImages' | 'maxManifestBytes'> = {}): UfopManifest {
  return manifestOf(readUploadEntries(tarball, options), options);
}

function readUploadEntries(tarball: Buffer, options: Pick<UfopBuilderOptions, 'maxUnpackedBytes'>): TarEntry[] {
  try {
    return readTar(tarball, options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES);
  } catch (error) {
    throw new UfopRequestError(`the upload is not a readable tar or tar.gz: ${(error as Error).message}`);
  }
}

function manifestOf(entries: readonly TarEntry[], options: UfopManifestOptions): UfopManifest {
  const manifest = entries.find((entry) => entry.name === 'ufop.yaml');
  if (!manifest) throw new UfopManifestError('not found at the root of the upload');
  return parseUfopManifest(manifest.data.toString('utf8'), options);
}

/** The build context: the generated Dockerfile and the re-packed upload. */
function writeContext(dockerfile: string, tarball: Buffer): Buffer {
  return writeTar([
    { name: 'Dockerfile', data: Buffer.from(dockerfile) },
    { name: UFOP_SOURCE_FILE, data: tarball },
  ]);
}
