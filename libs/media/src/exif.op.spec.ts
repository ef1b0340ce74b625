import { parsePipeline } from '@fopflow/fop';
import sharp from 'sharp';
import { ImageProcessor } from './image.processor';
import { MediaError } from './media.errors';
import { quadrants } from './image-test-images.fixture';

const processor = new ImageProcessor();
const exif = (input: Buffer) => processor.run(parsePipeline('exif').steps, input);

describe('exif', () => {
  it('answers the tags with their EXIF type codes and libexif-style values', async () => {
    const photo = await sharp(await quadrants(40, 20))
      .jpeg()
      .withExif({
        IFD0: { Make: 'Fopflow', Model: 'Test Camera', DateTime: '2024:05:06 07:08:09' },
        IFD2: { ExposureTime: '1/250', FNumber: '56/10', ISOSpeedRatings: '100', DateTimeOriginal: '2024:05:06 07:08:09', FocalLength: '35/1' },
        IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '33/1 51/1 3540/100' },
      })
      .withMetadata({ orientation: 3 })
      .toBuffer();
    const output = await exif(photo);
    expect(output.mime).toBe('application/json');
    expect(JSON.parse(output.data.toString())).toMatchObject({
      Make: { type: 2, val: 'Fopflow' },
      Model: { type: 2, val: 'Test Camera' },
      Orientation: { type: 3, val: 'Bottom-right' },
      DateTime: { type: 2, val: '2024:05:06 07:08:09' },
      ExposureTime: { type: 5, val: '1/250 sec.' },
      FNumber: { type: 5, val: 'f/5.6' },
      ISOSpeedRatings: { type: 3, val: '100' },
      DateTimeOriginal: { type: 2, val: '2024:05:06 07:08:09' },
      FocalLength: { type: 5, val: '35 mm' },
      PixelXDimension: { val: '40' },
      PixelYDimension: { val: '20' },
      GPSLatitudeRef: { type: 2, val: 'S' },
      GPSLatitude: { type: 5, val: '33, 51, 35.4' },
    });
  });

  it('answers 400 "no EXIF data" for an image without any', async () => {
    const plain = await sharp(await quadrants(8, 8)).jpeg().toBuffer();
    const error = await exif(plain).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ status: 400, message: 'source image has no EXIF data' });
  });

  it('answers 415 for what is no image', async () => {
    await expect(exif(Buffer.from('nope'))).rejects.toMatchObject({ status: 415 });
  });
});
