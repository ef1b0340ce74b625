import type { Metadata } from 'sharp';
import type { MediaOutput } from './image.encoder';
import type { ImageInput } from './image.input';
import { inMemoryRun } from './step-run';

/** Qiniu names colour models after Go's image package. */
function colorModelOf(metadata: Metadata): string {
  if (metadata.space === 'cmyk') return 'cmyk';
  if (metadata.channels === 1 || metadata.space === 'b-w') return 'gray';
  if (metadata.format === 'jpeg') return 'ycbcr';
  if (metadata.isPalette || metadata.format === 'gif') return 'palette';
  return metadata.hasAlpha ? 'nrgba' : 'rgb';
}

/** Runs `imageInfo` from the header alone: size, format, one frame's width and height, colour model, frames. */
export async function runImageInfo(input: ImageInput): Promise<MediaOutput> {
  const source = await input.probe();
  const info: Record<string, unknown> = {
    size: source.size,
    format: source.format,
    width: source.width,
    height: source.height,
    colorModel: colorModelOf(source.metadata),
  };
  if (source.frames > 1) info.frameNumber = source.frames;
  return { data: Buffer.from(JSON.stringify(info)), mime: 'application/json' };
}

/** `imageInfo` as the plan executor runs it. */
export const imageInfoRun = inMemoryRun('imageInfo', (input) => runImageInfo(input));
