import { parsePipeline, type QrcodeArgs } from '@fopflow/fop';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { ImageProcessor } from './image.processor';
import { qrModulePx, qrQuietZoneModules, runQrcode } from './qrcode.op';

const URL_OF_SOURCE = 'http://fopflow.example/photos/cats/tabby.jpg';

/** The module matrix read back from the PNG: true where a module's centre pixel is dark. */
async function readModules(png: Buffer): Promise<{ size: number; dark: boolean[] }> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const size = info.width / qrModulePx - 2 * qrQuietZoneModules;
  const dark: boolean[] = [];
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const x = (col + qrQuietZoneModules) * qrModulePx + qrModulePx / 2;
      const y = (row + qrQuietZoneModules) * qrModulePx + qrModulePx / 2;
      dark.push(data[y * info.width + x] < 128);
    }
  }
  return { size, dark };
}

/** The matrix the QR standard gives for `text` at `level` (the encoder's own model of the code). */
function expectedModules(text: string, level: QrcodeArgs['level']): { size: number; dark: boolean[] } {
  const code = QRCode.create(text, { errorCorrectionLevel: level });
  return { size: code.modules.size, dark: Array.from(code.modules.data, (bit) => bit === 1) };
}

describe('qrcode', () => {
  it('mode 0 draws the URL of the source, module for module, as a square PNG', async () => {
    const output = await runQrcode(Buffer.from('ignored'), { mode: 0, level: 'L' }, URL_OF_SOURCE);
    expect(output.mime).toBe('image/png');
    const meta = await sharp(output.data).metadata();
    expect(meta.format).toBe('png');
    const expected = expectedModules(URL_OF_SOURCE, 'L');
    expect(meta.width).toBe((expected.size + 2 * qrQuietZoneModules) * qrModulePx);
    expect(meta.height).toBe(meta.width);
    expect(await readModules(output.data)).toEqual(expected);
  });

  it("mode 1 draws the source's own content", async () => {
    const text = 'https://example.com/welcome?from=qr';
    const output = await runQrcode(Buffer.from(text), { mode: 1, level: 'M' }, URL_OF_SOURCE);
    expect(await readModules(output.data)).toEqual(expectedModules(text, 'M'));
  });

  it('takes more modules at a higher level for the same text: 29 at L, 37 at H for this URL', async () => {
    const low = await readModules((await runQrcode(Buffer.alloc(0), { mode: 0, level: 'L' }, URL_OF_SOURCE)).data);
    const high = await readModules((await runQrcode(Buffer.alloc(0), { mode: 0, level: 'H' }, URL_OF_SOURCE)).data);
    expect([low.size, high.size]).toEqual([29, 37]);
  });

  it('gives the same bytes for the same text and level', async () => {
    const first = await runQrcode(Buffer.from('same'), { mode: 1, level: 'Q' }, undefined);
    const second = await runQrcode(Buffer.from('same'), { mode: 1, level: 'Q' }, undefined);
    expect(first.data.equals(second.data)).toBe(true);
  });

  it('refuses mode 0 without a URL, an empty source, and content past what a code holds', async () => {
    await expect(runQrcode(Buffer.from('x'), { mode: 0, level: 'L' }, undefined)).rejects.toMatchObject({ status: 400 });
    await expect(runQrcode(Buffer.alloc(0), { mode: 1, level: 'L' }, undefined)).rejects.toMatchObject({ status: 400 });
    await expect(runQrcode(Buffer.alloc(3000, 'a'), { mode: 1, level: 'L' }, undefined)).rejects.toMatchObject({ status: 413 });
    await expect(runQrcode(Buffer.alloc(2000, 'a'), { mode: 1, level: 'H' }, undefined)).rejects.toMatchObject({ status: 413 });
  });

  it('runs through the image processor with the URL its context gives', async () => {
    const output = await new ImageProcessor().run(parsePipeline('qrcode/0/level/Q').steps, Buffer.from('x'), { loadObject: () => Promise.reject(new Error('unused')), sourceUrl: URL_OF_SOURCE });
    expect(await readModules(output.data)).toEqual(expectedModules(URL_OF_SOURCE, 'Q'));
  });
});
