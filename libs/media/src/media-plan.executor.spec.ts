import { noHostIsOwn, parsePipeline, type PipelineStep } from '@fopflow/fop';
import sharp from 'sharp';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvProcessor } from './av.processor';
import { makeClip } from './av-test-clips.fixture';
import { ImageProcessor } from './image.processor';
import { BLUE, RED, decode, expectColour, noisyJpeg, pixelAt, quadrants, solid } from './image-test-images.fixture';
import { estimateJpegQuality } from './jpeg-quality';
import { MediaPlanExecutor, type PlanContext } from './media-plan.executor';
import { StepData } from './step-data';

const steps = (fop: string) => parsePipeline(fop, { customCommands: 'any' }).steps as PipelineStep[];
const images = new ImageProcessor();
const executor = new MediaPlanExecutor(images, new AvProcessor(), 50 * 1024 * 1024);
const logoRef = Buffer.from('brand:logo.png').toString('base64url');
const chain = `imageView2/1/w/120/h/80|imageMogr2/rotate/90/crop/60x100|watermark/1/image/${logoRef}/gravity/NorthWest/dx/0/dy/0`;

let workDir: string;
let sourceDir: string;
let logo: Buffer;
let context: PlanContext & { loaded: string[] };

beforeEach(async () => {
  workDir = await fs.mkdtemp(join(tmpdir(), 'plan-work-'));
  sourceDir = await fs.mkdtemp(join(tmpdir(), 'plan-source-'));
  logo = await solid(10, 10, BLUE);
  const loaded: string[] = [];
  context = {
    workDir,
    signal: new AbortController().signal,
    onProgress: () => undefined,
    loadObject: async (bucket, key) => (loaded.push(`${bucket}:${key}`), logo),
    objectPath: async () => {
      throw new Error('no step of these plans reads a stored object by path');
    },
    loaded,
  };
});

afterEach(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
  await fs.rm(sourceDir, { recursive: true, force: true });
});

/** What running each step on the previous one's bytes gives: the pipeline runner's old path. */
async function stepByStep(fop: string, input: Buffer): Promise<Buffer> {
  let data = input;
  for (const step of steps(fop)) data = (await images.runStep(step as never, data, { loadObject: async () => logo })).data;
  return data;
}

describe('MediaPlanExecutor', () => {
  it('runs imageView2 | imageMogr2 | watermark to the same pixels as step by step, writing nothing between steps', async () => {
    const source = await quadrants(400, 300);
    const sourcePath = join(sourceDir, 'source.png');
    await fs.writeFile(sourcePath, source);

    const output = await executor.run(steps(chain), StepData.onFile(sourcePath, 'image/png'), context);

    expect(output.mime).toBe('image/png');
    expect(output.file).toBeUndefined();
    const result = await decode(output.data!);
    expect({ width: result.width, height: result.height }).toEqual({ width: 80, height: 60 });
    expect(result.data.equals((await decode(await stepByStep(chain, source))).data)).toBe(true);
    expectColour(await pixelAt(output.data!, 2, 2), BLUE);
    expect(context.loaded).toEqual(['brand:logo.png']);
    expect(await fs.readdir(workDir)).toEqual([]);
  });

  it('decodes a source file from the file, never copying it into memory, and a source in memory without touching the disk', async () => {
    const source = await solid(64, 48, RED, 'jpeg');
    const fromMemory = await executor.run(steps('imageView2/2/w/32|imageInfo'), StepData.inMemory(source, 'image/jpeg'), context);
    expect(JSON.parse(fromMemory.data!.toString())).toMatchObject({ width: 32, height: 24, format: 'jpeg' });
    expect(await fs.readdir(workDir)).toEqual([]);

    const sourcePath = join(sourceDir, 'source.jpg');
    await fs.writeFile(sourcePath, source);
    const input = StepData.onFile(sourcePath, 'image/jpeg');
    const info = await executor.run(steps('imageInfo'), input, context);
    expect(JSON.parse(info.data!.toString())).toMatchObject({ size: source.length, width: 64, height: 48, format: 'jpeg' });
    expect(input.data).toBeUndefined();
    expect(await fs.readdir(workDir)).toEqual([]);
  });

  it('caps a JPEG file\'s quality by its own, read from its header, and answers the file itself on ignore-error', async () => {
    const q60 = await noisyJpeg(300, 200, 60);
    const sourcePath = join(sourceDir, 'q60.jpg');
    await fs.writeFile(sourcePath, q60);

    const capped = await executor.run(steps('imageView2/2/w/150/q/90'), StepData.onFile(sourcePath, 'image/jpeg'), context);
    expect(estimateJpegQuality(capped.data!)).toBe(60);

    const broken = q60.subarray(0, q60.length >> 1);
    const brokenPath = join(sourceDir, 'broken.jpg');
    await fs.writeFile(brokenPath, broken);
    const kept = await executor.run(steps('imageView2/2/w/150/ignore-error/1'), StepData.onFile(brokenPath, 'image/jpeg'), context);
    expect(kept.data!.equals(broken)).toBe(true);
    expect(kept.mime).toBe('image/jpeg');
  });

  it('writes in-memory bytes to a file only for a step that needs one, once', async () => {
    const seen: string[] = [];
    const runOther: PlanContext['runOther'] = async (step, input) => {
      seen.push(`${step.command} ${input.mime} ${(await fs.readFile(input.path)).length}`);
      return input;
    };
    const output = await executor.run(steps('imageView2/2/w/32|acme-resize|imageInfo'), StepData.inMemory(await quadrants(64, 64), 'image/png'), {
      ...context,
      runOther,
    });
    expect(seen).toEqual([expect.stringMatching(/^acme-resize image\/png \d+$/)]);
    expect(await fs.readdir(workDir)).toEqual(['1-input']);
    expect(JSON.parse(output.data!.toString())).toMatchObject({ width: 32, height: 32 });
  });

  it('refuses an in-memory input over the bound with 413, naming the step', async () => {
    const small = new MediaPlanExecutor(images, new AvProcessor(), 100);
    const sourcePath = join(sourceDir, 'big.png');
    await fs.writeFile(sourcePath, await quadrants(64, 64));
    await expect(small.run(steps('imageInfo|imageInfo'), StepData.onFile(sourcePath, 'image/png'), context)).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/^step 1\/2 \(imageInfo\): input of \d+ bytes is over maxSourceBytes 100$/),
    });
  });
});

describe('MediaPlanExecutor with marks at outside URLs', () => {
  const markUrl = 'https://cdn.other.net/brand/logo.png';
  const outside = (fop: string) => parsePipeline(fop, { isOwnHost: noHostIsOwn }).steps as PipelineStep[];
  const fetched: string[] = [];
  const loadUrl = async (url: string) => (fetched.push(url), solid(64, 32, RED));

  beforeEach(() => fetched.splice(0));

  it('draws a watermark image the caller fetched from its URL, reading no stored object', async () => {
    const fop = `watermark/1/image/${Buffer.from(markUrl).toString('base64url')}/gravity/NorthWest/dx/0/dy/0`;
    const output = await executor.run(outside(fop), StepData.inMemory(await solid(200, 100, BLUE), 'image/png'), { ...context, loadUrl });
    expectColour(await pixelAt(output.data!, 5, 5), RED);
    expectColour(await pixelAt(output.data!, 150, 80), BLUE);
    expect(fetched).toEqual([markUrl]);
    expect(context.loaded).toEqual([]);
  });

  it("hands ffmpeg avthumb's wmImage as a file of the fetched bytes in the work dir", async () => {
    const clip = await makeClip(join(sourceDir, 'clip.mp4'), { width: 320, height: 180, durationS: 1 });
    const fop = `avthumb/mp4/wmImage/${Buffer.from(markUrl).toString('base64url')}/wmGravity/NorthWest`;
    const output = await executor.run(outside(fop), StepData.onFile(clip, 'video/mp4'), { ...context, loadUrl });
    expect(fetched).toEqual([markUrl]);
    expect((await fs.readdir(workDir)).filter((name) => name.startsWith('url-'))).toHaveLength(1);
    // The 64x32 red mark sits 10 px from the top and left edges: sample its centre in the first frame.
    const first = await executor.run(steps('vframe/png/offset/0'), StepData.onFile(output.file!, 'video/mp4'), context);
    const { data } = await sharp(first.data ?? first.file!).extract({ left: 10 + 32, top: 10 + 16, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
    expect(Math.max(data[1], data[2])).toBeLessThan(60);
  }, 60_000);
});
