import { z } from 'zod';
import { buildAcceptedSchema, buildLogSchema, commandInfoSchema, commandListSchema, commandResizeSchema, commandViewSchema, registrationSchema, runLogListSchema, useVersionSchema, versionListSchema } from '../commands/command.schemas';
import { consoleOverviewSchema } from '../console/console.schemas';
import { healthSchema, readySchema } from '../health/health.schemas';
import { batchAcceptedSchema, batchSubmissionSchema, jobAcceptedSchema, jobListSchema, jobStatusSchema, submissionSchema } from '../jobs/job.schemas';
import { pfopAcceptedSchema, pfopFormSchema, prefopFormSchema } from '../jobs/qiniu.schemas';
import { bucketInfoSchema, bucketListSchema, bucketSettingsSchema, objectInfoSchema, objectListSchema } from '../objects/object.schemas';
import { styleBodySchema, styleListSchema, styleSchema } from '../styles/style.schemas';
import { discoverySchema, instanceListSchema, instanceSchema, poolListSchema, poolResizeSchema, poolStateSchema, poolUpgradeSchema } from '../pools/pool.schemas';
import { completeUploadSchema, formUploadSchema, partListSchema, partStoredSchema, uploadAnswerSchema, uploadStartedSchema } from '../upload/upload.schemas';

/** Every error answer: `{"code": <status>, "error": "<what was wrong>"}`; upload routes add Qiniu's 6xx codes. */
export const errorSchema = z.object({ code: z.number().int().min(400).max(699), error: z.string() }).meta({ id: 'Error' });

/** Request bodies, as the gateway validates them (zod's input side: defaults are optional). */
export const REQUEST_SCHEMAS: Record<string, z.ZodType> = {
  JobSubmission: submissionSchema,
  JobBatch: batchSubmissionSchema,
  PfopForm: pfopFormSchema,
  PrefopForm: prefopFormSchema,
  BucketSettings: bucketSettingsSchema,
  StyleBody: styleBodySchema,
  UfopRegistration: registrationSchema,
  UfopResize: commandResizeSchema,
  UfopUseVersion: useVersionSchema,
  PoolResize: poolResizeSchema,
  PoolUpgrade: poolUpgradeSchema,
  FormUpload: formUploadSchema,
  UploadCompletion: completeUploadSchema,
};

/** Answer bodies (zod's output side). */
export const RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  Error: errorSchema,
  Health: healthSchema,
  Ready: readySchema,
  BucketInfo: bucketInfoSchema,
  BucketList: bucketListSchema,
  Style: styleSchema,
  StyleList: styleListSchema,
  ObjectInfo: objectInfoSchema,
  ObjectList: objectListSchema,
  JobAccepted: jobAcceptedSchema,
  JobBatchAccepted: batchAcceptedSchema,
  JobStatus: jobStatusSchema,
  JobList: jobListSchema,
  PfopAccepted: pfopAcceptedSchema,
  Instance: instanceSchema,
  InstanceList: instanceListSchema,
  PoolState: poolStateSchema,
  PoolList: poolListSchema,
  Discovery: discoverySchema,
  Ufop: commandViewSchema,
  UfopList: commandListSchema,
  UfopInfo: commandInfoSchema,
  UfopBuildAccepted: buildAcceptedSchema,
  UfopVersions: versionListSchema,
  BuildLog: buildLogSchema,
  UfopRunLogs: runLogListSchema,
  ConsoleOverview: consoleOverviewSchema,
  UploadAnswer: uploadAnswerSchema,
  UploadStarted: uploadStartedSchema,
  PartStored: partStoredSchema,
  PartList: partListSchema,
};

/** JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of the named zod schemas, refs pointing into components. */
export function componentSchemas(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, object> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: (id) => `#/components/schemas/${id}` });
  // The document is the schemas' home: no per-schema dialect or id.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]));
}

const ERROR_MEANING: Record<number, string> = {
  400: 'bad fop, parameter or body (the error names it)',
  401: 'missing or bad signature, token or operator token',
  403: 'not yours',
  404: 'no such bucket, object, job, pool, command or version',
  406: 'crc32 mismatch',
  409: 'taken, or not ready (the error says which)',
  413: 'over a size, pixel, duration or count limit',
  415: 'unsupported media',
  429: 'rate or backlog limit (Retry-After says when to try again)',
  503: 'a dependency is down',
  504: 'the sync wait timed out',
  612: "Qiniu's 612: no such id",
  614: "Qiniu's 614: the file exists",
};

/** A reference to a named component schema. */
export const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
/** A JSON answer whose body is the named component. */
export const json = (id: string, description: string) => ({ description, content: { 'application/json': { schema: ref(id) } } });
/** Error answers for these statuses. */
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [String(status), json('Error', ERROR_MEANING[status])]));
/** A JSON request body of the named component. */
export const body = (id: string, type = 'application/json') => ({ required: true, content: { [type]: { schema: ref(id) } } });
/** A path parameter. */
export const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
/** A query parameter. */
export const queryParam = (name: string, schema: object, description?: string) => ({ name, in: 'query', required: false, schema, ...(description && { description }) });
/** Signed with an access key, or the operator token. */
export const signed = [{ qiniu: [] }, { operator: [] }];
/** The operator token only. */
export const operatorOnly = [{ operator: [] }];
/** An upload token (`UpToken <token>`) in Authorization. */
export const uploadToken = [{ uploadToken: [] }];
