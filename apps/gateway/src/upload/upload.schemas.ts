import { z } from 'zod';
import { GatewayError } from '../http/error.filter';
import { MAX_PART_NUMBER } from './multipart-upload.store';

/**
 * The form of `POST /` (Qiniu's form upload). The gateway reads it as a stream, field by field,
 * so this schema describes the form for the document; the streaming parser enforces it.
 */
export const formUploadSchema = z.looseObject({
  token: z.string().describe('upload token: <ak>:<sign>:<encoded put policy>'),
  file: z.string().meta({ contentMediaType: 'application/octet-stream' }).describe('the file (one part named file)'),
  key: z.string().optional().describe('object key; the policy may set or constrain it'),
  crc32: z.string().optional().describe('CRC-32 of the file, decimal: a mismatch is refused with 406'),
});

const partsMessage = 'parts: a non-empty list of {partNumber, etag} is needed';

/** `POST /buckets/{bucket}/objects/{encodedKey}/uploads/{uploadId}`: completes a resumable upload. */
export const completeUploadSchema = z.object({
  parts: z
    .array(z.object({ partNumber: z.number().int(), etag: z.string() }), { error: partsMessage })
    .min(1, partsMessage)
    .max(MAX_PART_NUMBER, `parts: at most ${MAX_PART_NUMBER}`),
  fname: z.string().optional(),
  mimeType: z.string().optional(),
  customVars: z.record(z.string(), z.unknown()).optional().describe('x:<name> variables for the answer and the callback'),
});

export type UploadCompletion = z.infer<typeof completeUploadSchema>;

/** A completion body, checked against completeUploadSchema; a 400 naming the first thing wrong. */
export function parseCompletion(body: Record<string, unknown>): UploadCompletion {
  const parsed = completeUploadSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const [field, index] = issue.path;
  if (field === 'parts' && typeof index === 'number') throw new GatewayError(400, `parts[${index}]: needs a whole partNumber and a string etag`);
  if (field === 'parts') throw new GatewayError(400, issue.message);
  throw new GatewayError(400, `${issue.path.join('.')}: ${issue.message}`);
}

export const uploadStartedSchema = z.object({ uploadId: z.string(), expireAt: z.number() });
export const partStoredSchema = z.object({ etag: z.string(), md5: z.string() });
export const partListSchema = z.object({
  uploadId: z.string(),
  expireAt: z.number(),
  partNumberMarker: z.number().int(),
  parts: z.array(z.object({ partNumber: z.number().int(), etag: z.string(), size: z.number().int(), putTime: z.number() })),
});
/** An upload's answer: `{hash, key}` by default, or the put policy's returnBody. */
export const uploadAnswerSchema = z.record(z.string(), z.unknown());
