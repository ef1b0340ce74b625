import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parsePipeline } from '@fopflow/fop';
import { AvTimeLimitError, CancelledError } from './av.errors';
import { type AvStep, AvProcessor } from './av.processor';
import type { AvStepContext } from './av-step.types';
import { childMediaProcesses, filesIn, makeClip, makeTempDir } from './av-test-clips.fixture';
import { stderrTail, withoutHostPaths } from './ffmpeg-output.sanitizer';
import { runFfmpeg } from './ffmpeg.runner';
import { MediaError } from './media.errors';

// The child-process side of ffmpeg: progress, cancel, the time limit, and that nothing is left
// behind (no process, no partial file) whichever way a run ends.

jest.setTimeout(60_000);

let dir: string;
let longClip: string;

beforeAll(async () => {
  dir = await makeTempDir('ffmpeg');
  // Long enough that a VP9 encode of it runs for several seconds on this machine.
  longClip = await makeClip(join(dir, 'long.mp4'), { width: 640, height: 360, durationS: 20 });
});

afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const stepOf = (fop: string) => parsePipeline(fop).steps[0] as AvStep;

/** A work dir holding a copy of the input, as the worker lays it out. */
async function workDirWithInput(): Promise<{ workDir: string; input: string }> {
  const workDir = await fs.mkdtemp(join(dir, 'work-'));
  const input = join(workDir, 'input');
  await fs.copyFile(longClip, input);
  return { workDir, input };
}

function contextFor(workDir: string, extra: Partial<AvStepContext> = {}): AvStepContext {
  return { workDir, objectPath: async () => { throw new Error('no objects here'); }, ...extra };
}

describe('progress', () => {
  it('rises from below 100 to exactly 100, never going down', async () => {
    const { workDir, input } = await workDirWithInput();
    const seen: number[] = [];
    await new AvProcessor().runStep(stepOf('avthumb/mp4/s/320x180/an/1'), input, contextFor(workDir, { onProgress: (p) => seen.push(p) }));
    expect(seen.at(-1)).toBe(100);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.slice(0, -1).every((p) => p >= 0 && p < 100)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});

describe('cancel', () => {
  it('kills ffmpeg, removes the partial output and throws CancelledError', async () => {
    const { workDir, input } = await workDirWithInput();
    const controller = new AbortController();
    let outputSeen = false;
    const run = new AvProcessor().runStep(stepOf('avthumb/webm'), input, contextFor(workDir, {
      signal: controller.signal,
      onProgress: () => {
        // Abort once ffmpeg is demonstrably running and writing.
        void filesIn(workDir).then((files) => {
          outputSeen ||= files.some((file) => file.endsWith('.webm'));
          controller.abort();
        });
      },
    }));
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error).toMatchObject({ status: 499 });
    expect(outputSeen).toBe(true);
    expect(await childMediaProcesses()).toEqual([]);
    expect(await filesIn(workDir)).toEqual(['input']);
  });

  it('does not start ffmpeg when the signal is already aborted', async () => {
    const { workDir, input } = await workDirWithInput();
    const error = await new AvProcessor()
      .runStep(stepOf('avthumb/mp4'), input, contextFor(workDir, { signal: AbortSignal.abort() }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(await filesIn(workDir)).toEqual(['input']);
  });
});

describe('time limit', () => {
  it('kills ffmpeg past ffmpegTimeLimitMs with a 422 naming the limit, leaving only the input', async () => {
    const { workDir, input } = await workDirWithInput();
    const started = Date.now();
    const error = await new AvProcessor({ ffmpegTimeLimitMs: 800 })
      .runStep(stepOf('avthumb/webm'), input, contextFor(workDir))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AvTimeLimitError);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ status: 422, message: 'ffmpeg ran longer than ffmpegTimeLimitMs (800 ms) and was stopped' });
    expect(Date.now() - started).toBeLessThan(800 + 2500);
    expect(await childMediaProcesses()).toEqual([]);
    expect(await filesIn(workDir)).toEqual(['input']);
  });
});

describe('ffmpeg failure', () => {
  it('is a 422 quoting the tail of stderr without host paths, and removes output and scratch files', async () => {
    const { workDir, input } = await workDirWithInput();
    const scratch = join(workDir, 'scratch.txt');
    await fs.writeFile(scratch, 'x');
    const outputPath = join(workDir, 'out.mp4');
    const error = await runFfmpeg(
      { inputs: [{ path: input, label: 'source' }], outputOptions: ['-vf', 'no_such_filter', '-f', 'mp4'], outputPath, cwd: workDir, scratchFiles: [scratch] },
      { timeLimitMs: 30_000 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).status).toBe(422);
    expect((error as Error).message).toMatch(/^ffmpeg could not process the source: .*no_such_filter/);
    expect((error as Error).message).not.toContain(dir);
    expect(await filesIn(workDir)).toEqual(['input']);
  });
});

describe('stderr sanitizing', () => {
  it('names known files by label and cuts other absolute paths to their last segment', () => {
    const replacements = new Map([['/data/buckets/b/obj', 'source'], ['/tmp/work-1/', '']]);
    expect(withoutHostPaths("Input #0, from '/data/buckets/b/obj': /tmp/work-1/out.mp4 and /usr/share/fonts/x.ttf, 1/25", replacements)).toBe(
      "Input #0, from 'source': out.mp4 and x.ttf, 1/25",
    );
  });

  it('keeps the last few meaningful lines, without progress lines, on one line', () => {
    const stderr = ['Input #0', 'frame=  10 fps=0.0 q=0.0 size=0kB time=00:00:00.40', 'Error opening filters!', ''].join('\n');
    expect(stderrTail(stderr, new Map())).toBe('Error opening filters!');
    expect(stderrTail('Input #0\n[aac @ 0x55d0c1a2b3c0] Qavg: 302', new Map())).toBe('Input #0 | [aac] Qavg: 302');
    expect(stderrTail('x'.repeat(2000), new Map()).length).toBeLessThanOrEqual(601);
  });
});
