import { z } from 'zod';
import { separatorProblem } from '../styles/style.rules';

/**
 * `PUT /v1/buckets/{bucket}` body (optional): a new bucket's, or an existing one's, privacy, style
 * separators (any of `-_!/@`, Qiniu's `separator`) and original-image protection (Qiniu's `protected`).
 */
export const bucketSettingsSchema = z.object({
  private: z.boolean({ error: 'private must be true or false' }).optional(),
  protected: z.boolean({ error: 'protected must be true or false' }).optional(),
  separator: z
    .string({ error: 'separator must be a string of style separators' })
    .superRefine((value, ctx) => {
      const problem = separatorProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

export const bucketInfoSchema = z
  .object({
    name: z.string(),
    private: z.boolean(),
    createdAt: z.number(),
    owner: z.string().optional(),
    protected: z.boolean().optional(),
    separator: z.string().optional(),
    styles: z.record(z.string(), z.string()).optional(),
  })
  .meta({ id: 'BucketInfo' });
export const bucketListSchema = z.object({ items: z.array(bucketInfoSchema) });

/** What an upload or a stat answers (the storage's ObjectInfo). */
export const objectInfoSchema = z
  .object({ bucket: z.string(), key: z.string(), size: z.number().int().min(0), etag: z.string(), mime: z.string(), putTime: z.number() })
  .meta({ id: 'ObjectInfo' });

export const objectListSchema = z.object({ items: z.array(objectInfoSchema), nextMarker: z.string().optional(), commonPrefixes: z.array(z.string()).optional() });
