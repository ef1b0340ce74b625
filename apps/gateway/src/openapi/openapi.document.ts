import { componentSchemas, REQUEST_SCHEMAS, RESPONSE_SCHEMAS } from './openapi.components';
import { MANAGEMENT_PATHS } from './management.paths';
import { MEDIA_PATHS } from './media.paths';

/**
 * Fopflow's HTTP API as OpenAPI 3.1. Request and answer bodies come from the zod schemas the
 * gateway validates with (the *.schemas.ts beside each controller): one source of truth, no
 * hand-kept copy. The openapi e2e suite fails when a route of a controller has no path here.
 */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Fopflow',
      version,
      description:
        'Media processing on request: Qiniu-style fop URLs, uploads and async jobs. Management calls are signed (Qiniu v2, `Authorization: Qiniu <ak>:<sign>`) or carry the operator token; upload calls carry an upload token.',
    },
    components: {
      schemas: { ...componentSchemas(RESPONSE_SCHEMAS, 'output'), ...componentSchemas(REQUEST_SCHEMAS, 'input') },
      securitySchemes: {
        qiniu: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Qiniu v2 signature: `Qiniu <accessKey>:<sign>` (with X-Qiniu-Date)' },
        operator: { type: 'http', scheme: 'bearer', description: 'the operator token (FOPFLOW_ADMIN_TOKEN)' },
        uploadToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'an upload token: `UpToken <ak>:<sign>:<encoded put policy>`' },
      },
    },
    paths: { ...MEDIA_PATHS, ...MANAGEMENT_PATHS },
  };
}
