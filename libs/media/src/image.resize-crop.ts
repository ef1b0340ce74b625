import type { Sharp } from 'sharp';
import type { Rect, Size } from './gravity.placement';

/** The geometry stage of a thumbnail: sizes and the crop refer to the picture as shown when `upright`. */
export interface ResizeCrop {
  /** Turn the source upright by its EXIF orientation first. */
  upright: boolean;
  /** Exact size to resize to (`fit: 'fill'`), if any. */
  resize?: Size;
  /** Region to take, of the resized picture when there is a resize, else of the source. */
  crop?: Rect;
}

/**
 * Adds the orientation, resize and crop of `stage` to `image`, in the order that keeps JPEG
 * shrink-on-load: libjpeg scales a large source by 1/2 to 1/8 while decoding it, which is most
 * of what makes a thumbnail of a 12 MP photo cheap. sharp keeps it only when it turns the picture
 * upright after the resize; it turns it before, decoding every pixel at full size (a 12 MP photo
 * tagged with an orientation then costs about five times as much), whenever the orientation is
 * asked for before an extract. So with a resize the orientation is asked for last: sharp still
 * turns the resized picture before it takes the crop, and swaps the resize's sides for a quarter
 * turn, so sizes and crop keep referring to the upright picture. Without a resize nothing shrinks
 * on load, and the crop is taken of the picture already turned.
 */
export function resizeCrop(image: Sharp, stage: ResizeCrop): Sharp {
  const { upright, resize, crop } = stage;
  if (!resize) {
    const turned = upright ? image.autoOrient() : image;
    return crop ? turned.extract(crop) : turned;
  }
  const resized = image.resize(resize.width, resize.height, { fit: 'fill' });
  const cropped = crop ? resized.extract(crop) : resized;
  return upright ? cropped.autoOrient() : cropped;
}
