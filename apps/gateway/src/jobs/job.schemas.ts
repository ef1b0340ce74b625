import { z } from 'zod';

/**
 * The native async API's bodies: the controller validates requests with these, and the OpenAPI
 * document (openapi/openapi.document.ts) is generated from the same objects, so the two cannot
 * drift. Answers have schemas too; the OpenAPI e2e suite checks real answers against them.
 */
export const submissionSchema = z
  .object({
    source: z.union([
      z.object({ bucket: z.string().min(1), key: z.string().min(1) }).strict().describe('a stored object'),
      z.object({ url: z.string().min(1) }).strict().describe('a remote http(s) source the worker fetches'),
    ]),
    fops: z.union([z.string().min(1), z.array(z.string().min(1))]).describe('one fop chain, or several (one result each)'),
    notifyUrl: z.string().min(1).optional().describe('webhook called once every fop has ended'),
    pipeline: z.string().optional().describe('a private pipeline (queue tier) of the caller'),
    force: z.boolean().default(false).describe('make results again even if the saveas target exists'),
  })
  .meta({ id: 'JobSubmission' });

export const batchSubmissionSchema = z.object({ jobs: z.array(submissionSchema).min(1) }).meta({ id: 'JobBatch' });

export const jobAcceptedSchema = z.object({ id: z.string() }).meta({ id: 'JobAccepted' });
export const batchAcceptedSchema = z.object({ ids: z.array(z.string()) }).meta({ id: 'JobBatchAccepted' });

const jobCodeSchema = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).describe('0 done, 1 waiting, 2 processing, 3 failed, 4 callback failed');

/** GET /v1/jobs/<id>: Qiniu's prefop shape plus the webhook's attempts. */
export const jobStatusSchema = z
  .object({
    id: z.string(),
    code: jobCodeSchema,
    desc: z.string(),
    inputKey: z.string(),
    inputBucket: z.string(),
    pipeline: z.string(),
    reqid: z.string(),
    creationDate: z.string(),
    type: z.string().optional(),
    items: z.array(
      z.object({
        cmd: z.string(),
        code: jobCodeSchema,
        desc: z.string(),
        error: z.string().optional(),
        errorIndex: z.number().int().optional(),
        hash: z.string().optional(),
        key: z.string().optional(),
        returnOld: z.union([z.literal(0), z.literal(1)]).optional(),
        progress: z.number().min(0).max(100).optional(),
        renditions: z
          .array(
            z.object({
              key: z.string().describe("the rendition's playlist"),
              bandwidth: z.number().int().describe('BANDWIDTH in the master playlist, bits per second'),
              resolution: z.string().describe('<width>x<height>'),
              progress: z.number().min(0).max(100),
            }),
          )
          .optional()
          .describe('extension, adapt only: each rendition with its own progress while the item runs, each at 100 once done'),
      }),
    ),
    notify: z
      .object({
        url: z.string(),
        state: z.enum(['pending', 'delivered', 'failed']),
        attempts: z.array(
          z.object({ at: z.number(), outcome: z.enum(['delivered', 'retry', 'gone', 'blocked']), status: z.number().int().optional(), error: z.string().optional() }),
        ),
      })
      .optional(),
  })
  .meta({ id: 'JobStatus' });

export const jobListSchema = z.object({ items: z.array(jobStatusSchema), nextBefore: z.number().optional() }).meta({ id: 'JobList' });
