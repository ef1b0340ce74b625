import ffmpeg from 'fluent-ffmpeg';
import sharp from 'sharp';

/**
 * A small JPEG with EXIF data, made on the spot: what a starting worker runs its image commands
 * on before it reports ready, so that the first real job does not pay for loading libvips.
 */
export function warmupImage(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .withExif({ IFD0: { Make: 'Fopflow', Model: 'warm-up' } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** A one-second 64×64 clip with a tone, written to `path`: the warm-up input of audio/video commands. */
export function writeWarmupClip(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    ffmpeg()
      .input('testsrc2=size=64x64:rate=10')
      .inputFormat('lavfi')
      .input('sine=frequency=440:sample_rate=22050')
      .inputFormat('lavfi')
      .outputOptions(['-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'])
      .output(path)
      .on('end', () => resolve())
      .on('error', reject)
      .run();
  });
}
