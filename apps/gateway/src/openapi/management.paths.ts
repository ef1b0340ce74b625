import { body, errors, json, operatorOnly, pathParam, queryParam, signed } from './openapi.components';

const id = pathParam('id', 'job id');
const pool = pathParam('pool', 'pool name');
const name = pathParam('name', 'command name');
const version = pathParam('version', 'version');
const text = (type: string, description: string) => ({ description, content: { [type]: { schema: { type: 'string' } } } });

/** Async jobs (native and Qiniu's), pools, instances, custom commands, console, health. */
export const MANAGEMENT_PATHS = {
  '/v1/jobs': {
    post: {
      summary: 'Submit an async job: one result per fop, status in Qiniu prefop shape, optional webhook',
      security: signed,
      parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } }],
      requestBody: body('JobSubmission'),
      responses: { '202': json('JobAccepted', 'queued'), ...errors(400, 401, 403, 404, 429, 503) },
    },
    get: {
      summary: "The caller's jobs, newest first",
      security: signed,
      parameters: [
        queryParam('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }),
        queryParam('before', { type: 'number' }, 'ms since epoch: jobs created before'),
        queryParam('code', { type: 'integer', enum: [0, 1, 2, 3, 4] }),
      ],
      responses: { '200': json('JobList', 'a page of jobs'), ...errors(400, 401) },
    },
  },
  '/v1/jobs/batch': {
    post: { summary: 'Several jobs in one call: all accepted or none', security: signed, requestBody: body('JobBatch'), responses: { '202': json('JobBatchAccepted', 'queued'), ...errors(400, 401, 403, 404, 429, 503) } },
  },
  '/v1/jobs/{id}': {
    get: { summary: "A job's status", security: signed, parameters: [id], responses: { '200': json('JobStatus', 'the status'), ...errors(401, 404) } },
    delete: { summary: 'Cancel a job', security: signed, parameters: [id], responses: { '200': json('JobStatus', 'the status after cancelling'), ...errors(401, 404) } },
  },
  '/pfop': {
    post: {
      summary: "Qiniu's persistent fop (`/pfop/`): an async job from a form, `;`-separated fops",
      security: signed,
      requestBody: body('PfopForm', 'application/x-www-form-urlencoded'),
      responses: { '200': json('PfopAccepted', 'queued'), ...errors(400, 401, 403, 404, 429, 503) },
    },
  },
  '/status/get/prefop': {
    get: { summary: "A job's status, Qiniu's way (unsigned: the id is the secret)", parameters: [{ ...queryParam('id', { type: 'string' }), required: true }], responses: { '200': json('JobStatus', 'the status'), ...errors(400, 612) } },
    post: { summary: "A job's status, the id posted as a form", requestBody: body('PrefopForm', 'application/x-www-form-urlencoded'), responses: { '200': json('JobStatus', 'the status'), ...errors(400, 612) } },
  },
  '/v1/pools': { get: { summary: 'Pools: settings, run-time state, last decision, instances', security: operatorOnly, responses: { '200': json('PoolList', 'pools'), ...errors(401) } } },
  '/v1/pools/{pool}/resize': {
    post: { summary: 'Pin the pool at a size (0 to its maxInstances)', security: operatorOnly, parameters: [pool], requestBody: body('PoolResize'), responses: { '201': json('PoolState', 'the pool state, pinned'), ...errors(400, 401, 404) } },
    delete: { summary: 'Return the pool to autoscaling', security: operatorOnly, parameters: [pool], responses: { '200': json('PoolState', 'the pool state'), ...errors(401, 404) } },
  },
  '/v1/pools/{pool}/upgrade': {
    post: { summary: 'Start a gray upgrade to a version (and image)', security: operatorOnly, parameters: [pool], requestBody: body('PoolUpgrade'), responses: { '201': json('PoolState', 'the pool state, upgrading'), ...errors(400, 401, 404) } },
  },
  '/v1/instances': { get: { summary: 'Every instance Keeper knows', security: operatorOnly, responses: { '200': json('InstanceList', 'instances'), ...errors(401) } } },
  '/v1/discovery': { get: { summary: 'Command → ready instances running it', security: operatorOnly, responses: { '200': json('Discovery', 'the map'), ...errors(401) } } },
  '/v1/ufops': {
    post: { summary: 'Register a UFOP (the operator also third-party services)', security: signed, requestBody: body('UfopRegistration'), responses: { '201': json('Ufop', 'registered'), ...errors(400, 401, 403, 409, 413) } },
    get: { summary: "The caller's commands and every public one", security: signed, responses: { '200': json('UfopList', 'commands'), ...errors(401) } },
  },
  '/v1/ufops/{name}': {
    get: { summary: 'A command with its live instances', security: signed, parameters: [name], responses: { '200': json('UfopInfo', 'the command'), ...errors(401, 404) } },
    delete: { summary: 'Unregister a command', security: signed, parameters: [name], responses: { '200': json('Ufop', 'what was removed'), ...errors(401, 403, 404) } },
  },
  '/v1/ufops/{name}/builds': {
    post: {
      summary: 'Upload a build: the tar or tar.gz of the UFOP directory (ufop.yaml at its root)',
      security: signed,
      parameters: [name],
      requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/x-tar' } } } },
      responses: { '202': json('UfopBuildAccepted', 'queued for the builder'), ...errors(400, 401, 403, 404, 413, 503) },
    },
  },
  '/v1/ufops/{name}/versions': { get: { summary: "A command's versions", security: signed, parameters: [name], responses: { '200': json('UfopVersions', 'versions, oldest first'), ...errors(401, 403, 404) } } },
  '/v1/ufops/{name}/versions/{version}/log': { get: { summary: "A build's log", security: signed, parameters: [name, version], responses: { '200': json('BuildLog', 'the log'), ...errors(401, 403, 404) } } },
  '/v1/ufops/{name}/logs': { get: { summary: "What each instance's program printed last", security: signed, parameters: [name], responses: { '200': json('UfopRunLogs', 'newest instance first'), ...errors(400, 401, 403, 404) } } },
  '/v1/ufops/{name}/version': {
    put: { summary: 'Run this version (also a rollback)', security: signed, parameters: [name], requestBody: body('UfopUseVersion'), responses: { '200': json('Ufop', 'the command'), ...errors(400, 401, 403, 404, 409) } },
  },
  '/v1/ufops/{name}/upgrade': { post: { summary: 'Run the newest version that built', security: signed, parameters: [name], responses: { '201': json('Ufop', 'the command'), ...errors(401, 403, 404, 409) } } },
  '/v1/ufops/{name}/resize': {
    post: { summary: 'Pin the instance count, or `{auto: true}` for the scaler', security: signed, parameters: [name], requestBody: body('UfopResize'), responses: { '201': json('Ufop', 'the command'), ...errors(400, 401, 403, 404, 413) } },
  },
  '/console': { get: { summary: "The operator's web console", security: operatorOnly, responses: { '200': text('text/html', 'the page'), '301': { description: 'to /console/' }, ...errors(401) } } },
  '/console/console.js': { get: { summary: "The console's script", security: operatorOnly, responses: { '200': text('text/javascript', 'the script'), ...errors(401) } } },
  '/console/api/overview': {
    get: {
      summary: 'What the console draws: pools with history, recent jobs, builds',
      security: operatorOnly,
      parameters: [queryParam('sinceS', { type: 'integer', minimum: 1 }, 'seconds of pool history'), queryParam('limit', { type: 'integer', minimum: 1 }, 'recent jobs')],
      responses: { '200': json('ConsoleOverview', 'the overview'), ...errors(400, 401) },
    },
  },
  '/console/api/builds/{name}/{version}/log': { get: { summary: "A build's log", security: operatorOnly, parameters: [name, version], responses: { '200': json('BuildLog', 'the log'), ...errors(401, 404) } } },
  '/health': { get: { summary: 'Liveness', responses: { '200': json('Health', 'alive') } } },
  '/ready': { get: { summary: 'Readiness: Redis answers', responses: { '200': json('Ready', 'ready'), ...errors(503) } } },
  '/metrics': { get: { summary: 'Prometheus metrics (text exposition format)', responses: { '200': text('text/plain', 'metrics') } } },
  '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
};
