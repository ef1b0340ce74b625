import { z } from 'zod';
import { batchAcceptedSchema, batchSubmissionSchema, jobAcceptedSchema, jobListSchema, jobStatusSchema, submissionSchema } from '../jobs/job.schemas';

/** Every error answer: `{"code": <http status>, "error": "<what was wrong>"}`. */
export const errorSchema = z.object({ code: z.number().int().min(400).max(599), error: z.string() }).meta({ id: 'Error' });

/** What an upload answers (the storage's ObjectInfo). */
export const objectInfoSchema = z
  .object({ bucket: z.string(), key: z.string(), size: z.number().int().min(0), etag: z.string(), mime: z.string(), putTime: z.number() })
  .meta({ id: 'ObjectInfo' });

const REQUEST_SCHEMAS = { JobSubmission: submissionSchema, JobBatch: batchSubmissionSchema };
const RESPONSE_SCHEMAS = {
  Error: errorSchema,
  ObjectInfo: objectInfoSchema,
  JobAccepted: jobAcceptedSchema,
  JobBatchAccepted: batchAcceptedSchema,
  JobStatus: jobStatusSchema,
  JobList: jobListSchema,
};

/** JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of the named zod schemas, refs pointing into components. */
function componentSchemas(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, object> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: (id) => `#/components/schemas/${id}` });
  // The document is the schemas' home: no per-schema dialect or id.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]));
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { 'application/json': { schema: ref(id) } } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [String(status), json('Error', ERROR_MEANING[status])]));
const ERROR_MEANING: Record<number, string> = {
  400: 'bad fop, parameter or body (the error names it)',
  401: 'missing or bad signature',
  403: 'not yours',
  404: 'no such bucket, object or job',
  413: 'over a size, pixel or duration limit',
  415: 'unsupported media',
  429: 'rate or backlog limit (Retry-After says when to try again)',
  503: 'a dependency is down',
  504: 'the sync wait timed out',
};
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const signed = [{ qiniu: [] }, { operator: [] }];

/**
 * Fopflow's HTTP API as OpenAPI 3.1. Request and answer bodies come from the zod schemas the
 * gateway validates with (jobs/job.schemas.ts): one source of truth, no hand-kept copy.
 */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Fopflow',
      version,
      description: 'Media processing on request: Qiniu-style fop URLs and async jobs. Management calls are signed (Qiniu v2, `Authorization: Qiniu <ak>:<sign>`) or carry the operator token.',
    },
    components: {
      schemas: { ...componentSchemas(RESPONSE_SCHEMAS, 'output'), ...componentSchemas(REQUEST_SCHEMAS, 'input') },
      securitySchemes: {
        qiniu: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Qiniu v2 signature: `Qiniu <accessKey>:<sign>` (with X-Qiniu-Date)' },
        operator: { type: 'http', scheme: 'bearer', description: 'the operator token (FOPFLOW_ADMIN_TOKEN)' },
      },
    },
    paths: {
      '/{bucket}/{key}': {
        get: {
          summary: 'An object, or a fop URL: `?imageView2/2/w/320|watermark/...` processes it on the fly',
          parameters: [pathParam('bucket', 'bucket'), pathParam('key', 'object key (may contain /)')],
          responses: { '200': { description: 'the object or the fop result (bytes)', content: { '*/*': { schema: {} } } }, ...errors(400, 403, 404, 413, 415, 429, 503, 504) },
        },
      },
      '/v1/objects/{bucket}/{key}': {
        put: {
          summary: 'Upload an object (the body is the object, streamed)',
          security: signed,
          parameters: [pathParam('bucket', 'bucket (made by its first upload)'), pathParam('key', 'object key')],
          requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
          responses: { '200': json('ObjectInfo', 'stored'), ...errors(400, 401, 403, 413) },
        },
      },
      '/v1/jobs': {
        post: {
          summary: 'Submit an async job: one result per fop, status in Qiniu prefop shape, optional webhook',
          security: signed,
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } }],
          requestBody: { required: true, content: { 'application/json': { schema: ref('JobSubmission') } } },
          responses: { '202': json('JobAccepted', 'queued'), ...errors(400, 401, 403, 404, 429, 503) },
        },
        get: {
          summary: "The caller's jobs, newest first",
          security: signed,
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
            { name: 'before', in: 'query', schema: { type: 'number' }, description: 'ms since epoch: jobs created before' },
            { name: 'code', in: 'query', schema: { type: 'integer', enum: [0, 1, 2, 3, 4] } },
          ],
          responses: { '200': json('JobList', 'a page of jobs'), ...errors(400, 401) },
        },
      },
      '/v1/jobs/batch': {
        post: {
          summary: 'Several jobs in one call: all accepted or none',
          security: signed,
          requestBody: { required: true, content: { 'application/json': { schema: ref('JobBatch') } } },
          responses: { '202': json('JobBatchAccepted', 'queued'), ...errors(400, 401, 403, 404, 429, 503) },
        },
      },
      '/v1/jobs/{id}': {
        get: { summary: 'A job\'s status', security: signed, parameters: [pathParam('id', 'job id')], responses: { '200': json('JobStatus', 'the status'), ...errors(401, 404) } },
        delete: { summary: 'Cancel a job', security: signed, parameters: [pathParam('id', 'job id')], responses: { '200': json('JobStatus', 'the status after cancelling'), ...errors(401, 404) } },
      },
      '/health': { get: { summary: 'Liveness', responses: { '200': { description: 'alive' } } } },
      '/ready': { get: { summary: 'Readiness: Redis answers', responses: { '200': { description: 'ready' }, ...errors(503) } } },
      '/metrics': { get: { summary: 'Prometheus metrics (text exposition format)', responses: { '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
  };
}
