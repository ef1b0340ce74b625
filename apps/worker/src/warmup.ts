import { ANONYMOUS_ACCOUNT } from '@fopflow/auth';
import { commands, parsePipeline } from '@fopflow/fop';
import { StepData, warmupImage, writeWarmupClip } from '@fopflow/media';
import { untraced } from '@fopflow/tracing';
import { PipelineRunner } from './pipeline.runner';
import { createWorkDir } from './work-dir';

/** A small job per command, run once before an instance reports ready. */
const WARMUP_FOPS: Record<string, string> = {
  imageView2: 'imageView2/2/w/16',
  imageMogr2: 'imageMogr2/thumbnail/16x',
  imageInfo: 'imageInfo',
  watermark: `watermark/2/text/${Buffer.from('w').toString('base64url')}`,
  exif: 'exif',
  imageAve: 'imageAve',
  imageslim: 'imageslim',
  avthumb: 'avthumb/mp3',
  vframe: 'vframe/jpg/offset/0',
  avinfo: 'avinfo',
  // avconcat needs stored objects; avinfo warms the same ffprobe and demuxers.
  avconcat: 'avinfo',
  // vsample and adapt write sets of objects, which need a target; vframe warms the same decoders.
  vsample: 'vframe/jpg/offset/0',
  adapt: 'vframe/jpg/offset/0',
};

/**
 * Runs each of `ownCommands` once on a tiny input. A command that fails here would fail real jobs,
 * so the error stops the instance instead of letting it report ready.
 */
export function warmUp(runner: PipelineRunner, workRoot: string, ownCommands: readonly string[]): Promise<number> {
  // Its steps would otherwise be exported as traces of their own at every start.
  return untraced(() => warmUpEach(runner, workRoot, ownCommands));
}

async function warmUpEach(runner: PipelineRunner, workRoot: string, ownCommands: readonly string[]): Promise<number> {
  const started = performance.now();
  const workDir = await createWorkDir(workRoot, 'warmup');
  try {
    const image = await warmupImage();
    let clip: string | undefined;
    for (const command of ownCommands) {
      const text = WARMUP_FOPS[command];
      if (!text) continue;
      const family = commands[parsePipeline(text).steps[0].command].family;
      if (family === 'av' && !clip) {
        clip = workDir.file('warmup.mp4');
        await writeWarmupClip(clip);
      }
      const input = family === 'av' ? StepData.onFile(clip!, 'video/mp4') : StepData.inMemory(image, 'image/jpeg');
      await runner
        .run({ steps: parsePipeline(text).steps, input, account: ANONYMOUS_ACCOUNT, workDir, signal: new AbortController().signal, onProgress: () => undefined })
        .catch((error: Error) => {
          throw new Error(`warm-up of ${command} failed: ${error.message}`);
        });
    }
  } finally {
    await workDir.remove();
  }
  return Math.round(performance.now() - started);
}
