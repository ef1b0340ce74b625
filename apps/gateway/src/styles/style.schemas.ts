import { z } from 'zod';
import { maxStyleFopsChars } from './style.rules';

/** `PUT /v1/buckets/{bucket}/styles/{name}` body: the style's fop pipeline, as a fop URL's query would hold it. */
export const styleBodySchema = z.object({
  fops: z.string({ error: 'fops must be a fop pipeline text, e.g. imageView2/2/w/320' }).min(1, 'fops must not be empty').max(maxStyleFopsChars, `fops is over ${maxStyleFopsChars} characters`),
});

export const styleSchema = z.object({ name: z.string(), fops: z.string() }).meta({ id: 'Style' });

/** A bucket's styles and the separators that apply them. */
export const styleListSchema = z.object({ items: z.array(styleSchema), separator: z.string(), protected: z.boolean() });
