import { body, errors, json, pathParam, queryParam, signed, uploadToken } from './openapi.components';

const bytes = (description: string) => ({ description, content: { '*/*': { schema: {} } } });
const bucket = pathParam('bucket', 'bucket');
const key = pathParam('key', 'object key (may contain /)');
const styleName = pathParam('name', 'style name');
const resumable = [pathParam('bucket', "bucket (the token's)"), pathParam('encodedKey', 'url-safe base64 of the key, or ~ for none')];
const uploadId = pathParam('uploadId', 'id from the start of the upload');

/** Objects, buckets, fop URLs and uploads (form and resumable). */
export const MEDIA_PATHS = {
  '/{bucket}/{key}': {
    get: {
      summary:
        'An object, or a fop URL: `?imageView2/2/w/320|watermark/...` processes it on the fly; `<key><separator><style>` applies a style of the bucket (an object stored under the whole key wins)',
      parameters: [bucket, key],
      responses: { '200': bytes('the object or the fop result (bytes)'), '206': bytes('a range of the object'), ...errors(400, 401, 403, 404, 413, 415, 429, 503, 504) },
    },
    head: {
      summary: 'The headers GET would answer (type, length, etag), no body',
      parameters: [bucket, key],
      responses: Object.fromEntries(['200', '400', '401', '403', '404', '413', '415', '429', '503', '504'].map((status) => [status, { description: status === '200' ? 'found' : 'as GET, without a body' }])),
    },
  },
  '/v1/buckets': {
    get: { summary: "The caller's buckets (all of them for the operator)", security: signed, responses: { '200': json('BucketList', 'buckets'), ...errors(401) } },
  },
  '/v1/buckets/{bucket}': {
    put: {
      summary: "Create a bucket, or change an own bucket's settings: privacy, style separators, original-image protection",
      security: signed,
      parameters: [bucket],
      requestBody: { ...body('BucketSettings'), required: false },
      responses: { '200': json('BucketInfo', 'the bucket'), ...errors(400, 401, 403) },
    },
  },
  '/v1/buckets/{bucket}/styles': {
    get: { summary: "A bucket's styles, its separators and whether it protects original images", security: signed, parameters: [bucket], responses: { '200': json('StyleList', 'the styles'), ...errors(401, 403, 404) } },
  },
  '/v1/buckets/{bucket}/styles/{name}': {
    put: {
      summary: 'Set a style: a named fop pipeline, served as `/<bucket>/<key><separator><name>`',
      security: signed,
      parameters: [bucket, styleName],
      requestBody: body('StyleBody'),
      responses: { '200': json('Style', 'the style as set'), ...errors(400, 401, 403, 404, 413) },
    },
    delete: { summary: 'Remove a style', security: signed, parameters: [bucket, styleName], responses: { '200': json('Style', 'the style removed'), ...errors(401, 403, 404) } },
  },
  '/v1/objects/{bucket}': {
    get: {
      summary: "A page of a bucket's objects",
      security: signed,
      parameters: [bucket, queryParam('prefix', { type: 'string' }), queryParam('marker', { type: 'string' }), queryParam('limit', { type: 'integer', minimum: 1, maximum: 1000 }), queryParam('delimiter', { type: 'string' })],
      responses: { '200': json('ObjectList', 'a page'), ...errors(400, 401, 403, 404) },
    },
  },
  '/v1/objects/{bucket}/{key}': {
    put: {
      summary: 'Upload an object (the body is the object, streamed)',
      security: signed,
      parameters: [pathParam('bucket', 'bucket (made by its first upload)'), key],
      requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
      responses: { '200': json('ObjectInfo', 'stored'), ...errors(400, 401, 403, 413) },
    },
    get: { summary: "An object's metadata", security: signed, parameters: [bucket, key], responses: { '200': json('ObjectInfo', 'the object'), ...errors(401, 403, 404) } },
    delete: { summary: 'Delete an object', security: signed, parameters: [bucket, key], responses: { '204': { description: 'deleted' }, ...errors(401, 403, 404) } },
  },
  '/': {
    post: {
      summary: "Form upload (Qiniu's): a multipart form with an upload token and the file",
      requestBody: body('FormUpload', 'multipart/form-data'),
      responses: {
        '200': json('UploadAnswer', '{hash, key}, or the put policy\'s returnBody'),
        '303': { description: "to the policy's returnUrl" },
        ...errors(400, 401, 403, 406, 413, 614),
      },
    },
  },
  '/buckets/{bucket}/objects/{encodedKey}/uploads': {
    post: { summary: 'Start a resumable upload (Qiniu v2 multipart)', security: uploadToken, parameters: resumable, responses: { '200': json('UploadStarted', 'started'), ...errors(400, 401, 403) } },
  },
  '/buckets/{bucket}/objects/{encodedKey}/uploads/{uploadId}': {
    post: {
      summary: 'Complete a resumable upload from its parts',
      security: uploadToken,
      parameters: [...resumable, uploadId],
      requestBody: body('UploadCompletion'),
      responses: { '200': json('UploadAnswer', '{hash, key}, or the put policy\'s returnBody'), '303': { description: "to the policy's returnUrl" }, ...errors(400, 401, 403, 413, 612, 614) },
    },
    get: {
      summary: "A resumable upload's parts",
      security: uploadToken,
      parameters: [...resumable, uploadId, queryParam('part-number-marker', { type: 'integer' }), queryParam('max-parts', { type: 'integer', minimum: 1, maximum: 1000 })],
      responses: { '200': json('PartList', 'a page of parts'), ...errors(401, 403, 612) },
    },
    delete: {
      summary: 'Abort a resumable upload',
      security: uploadToken,
      parameters: [...resumable, uploadId],
      responses: { '200': { description: 'aborted', content: { 'application/json': { schema: { type: 'object', maxProperties: 0 } } } }, ...errors(401, 403, 612) },
    },
  },
  '/buckets/{bucket}/objects/{encodedKey}/uploads/{uploadId}/{partNumber}': {
    put: {
      summary: 'Upload one part (the body is the part)',
      security: uploadToken,
      parameters: [...resumable, uploadId, pathParam('partNumber', 'part number, from 1')],
      requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
      responses: { '200': json('PartStored', 'stored'), ...errors(400, 401, 403, 413, 612) },
    },
  },
};
