import type { MediaOutput } from './image.encoder';
import type { ImageLimits } from './image-limits';
import { ExifFormatError, parseExif } from './exif.parser';
import { probeImage } from './image.source';
import { MediaError } from './media.errors';

/**
 * Runs `exif`: `{"<Tag>":{"type":<EXIF type code>,"val":"<text>"}}` for the tags exif.parser
 * knows. An image without EXIF is a 400, as Qiniu (and every peer) answers: the request asked
 * for something the source does not have.
 */
export async function runExif(input: Buffer, limits: ImageLimits): Promise<MediaOutput> {
  const { metadata } = await probeImage(input, limits);
  if (!metadata.exif || metadata.exif.length === 0) throw new MediaError(400, 'source image has no EXIF data');
  let tags;
  try {
    tags = parseExif(metadata.exif);
  } catch (error) {
    if (error instanceof ExifFormatError) throw new MediaError(400, `source image has corrupt EXIF data (${error.message})`);
    throw error;
  }
  const answer: Record<string, { type: number; val: string }> = {};
  for (const { name, type, value } of tags) answer[name] ??= { type, val: value };
  return { data: Buffer.from(JSON.stringify(answer)), mime: 'application/json' };
}
