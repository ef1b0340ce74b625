import type { Request } from 'express';
import type { z } from 'zod';
import { bodyLimitOf } from './body-guard.middleware';
import { GatewayError } from './error.filter';

/** Largest body of an API call the body guard has not seen (tests building a bare app), in bytes. */
export const MAX_API_BODY_BYTES = 1024 * 1024;

/**
 * Reads the whole request body; 413 past maxBytes (default: the limit the body guard chose for
 * the route), closing the connection so the rest is not read. Signatures need the bytes as sent.
 */
export async function readRawBody(req: Request, maxBytes = bodyLimitOf(req) ?? MAX_API_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw Object.assign(new GatewayError(413, `request body is over ${maxBytes} bytes`), { headers: { Connection: 'close' } });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON object body; 400 naming the problem. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8') || '{}');
  } catch (error) {
    throw new GatewayError(400, `body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GatewayError(400, 'body must be a JSON object');
  return value as Record<string, unknown>;
}

/** What a schema refused, field by field: `fops: expected string; source.key: required`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}
