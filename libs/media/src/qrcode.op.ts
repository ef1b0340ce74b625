import type { QrcodeArgs } from '@fopflow/fop';
import QRCode from 'qrcode';
import type { MediaOutput } from './image.encoder';
import { MediaError } from './media.errors';
import { inMemoryRun } from './step-run';

/** Pixels per QR module in the PNG. */
export const qrModulePx = 4;

/** Light modules around the code, as the QR standard asks for a reader to find it. */
export const qrQuietZoneModules = 4;

/** Most bytes a QR code holds (version 40, level L, byte mode); higher levels hold fewer. */
export const maxQrTextBytes = 2953;

/**
 * Runs `qrcode`: a black-on-white PNG QR code of `sourceUrl` (mode 0, Qiniu's default) or of the
 * input's own bytes read as UTF-8 text (mode 1), at the asked error-correction level. The same
 * text and level always give the same bytes, so the result caches like any other.
 */
export async function runQrcode(input: Buffer, args: QrcodeArgs, sourceUrl: string | undefined): Promise<MediaOutput> {
  const text = args.mode === 0 ? sourceUrl : input.toString('utf8');
  if (text === undefined) throw new MediaError(400, 'qrcode/0 encodes the URL of the source, and this source has none; use qrcode/1 for its content');
  if (text.length === 0) throw new MediaError(400, 'qrcode/1: the source is empty, there is nothing to encode');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxQrTextBytes) throw new MediaError(413, `qrcode: ${bytes} bytes to encode, over the ${maxQrTextBytes} a QR code holds`);
  let data: Buffer;
  try {
    data = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: args.level, margin: qrQuietZoneModules, scale: qrModulePx });
  } catch (error) {
    // Past what the chosen level holds (H keeps 30 % for correction, so it holds the least).
    throw new MediaError(413, `qrcode: ${bytes} bytes do not fit a QR code at level ${args.level}: ${(error as Error).message}`);
  }
  return { data, mime: 'image/png' };
}

// qrcode/0 encodes the source's URL: its bytes are not read.
export const qrcodeRun = inMemoryRun('qrcode', async (input, args, _limits, context) =>
  runQrcode(args.mode === 0 ? Buffer.alloc(0) : await input.bytes(), args, context?.sourceUrl),
);
