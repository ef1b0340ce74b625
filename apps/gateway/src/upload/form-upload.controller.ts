import { Controller, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { GatewayError } from '../http/error.filter';
import { answerQiniuCodes } from './qiniu-codes';
import { readRawBody } from '../http/raw-body';
import { UploadService } from './upload.service';

/**
 * Qiniu's form upload, `POST /` multipart: `token`, `key`, `file`, `crc32`, `x:*`. The body is
 * read whole, bounded by maxUploadBytes plus MAX_FORM_OVERHEAD_BYTES (body guard), because Qiniu's SDKs send
 * `crc32` and `x:*` after the file: nothing can be decided (or stored) before the end anyway.
 */
@Controller()
export class FormUploadController {
  constructor(private readonly uploads: UploadService) {}

  @Post()
  async upload(@Req() req: Request, @Res() res: Response): Promise<void> {
    await answerQiniuCodes(res, () => this.formUpload(req, res));
  }

  private async formUpload(req: Request, res: Response): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*;/i.test(contentType)) throw new GatewayError(400, 'a form upload is multipart/form-data (token, key, file)');
    const body = await readRawBody(req);
    const form = await parseForm(body, contentType);
    const token = field(form, 'token');
    const grant = await this.uploads.grant(token);
    const file = form.get('file');
    if (!file || typeof file === 'string') throw new GatewayError(400, 'file not specified: the form needs a file part named file');
    const vars: Record<string, string> = {};
    for (const [name, value] of form.entries()) if (name.startsWith('x:') && typeof value === 'string') vars[name] = value;
    const answer = await this.uploads.accept(grant, {
      key: field(form, 'key'),
      data: Buffer.from(await file.arrayBuffer()),
      mime: file.type || undefined,
      fname: file.name ?? '',
      vars,
      crc32: field(form, 'crc32'),
    });
    if (answer.redirect) {
      res.redirect(303, answer.redirect);
      return;
    }
    res.status(answer.status);
    if (answer.text !== undefined) res.type('text/plain').send(answer.text);
    else res.json(answer.json);
  }
}

/** Parses a buffered multipart body with the platform's own parser; 400 when it is malformed. */
async function parseForm(body: Buffer, contentType: string): Promise<FormData> {
  try {
    return await new globalThis.Request('http://upload.invalid/', { method: 'POST', body, headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw new GatewayError(400, `malformed multipart body: ${(error as Error).message}`);
  }
}

/** A text field of the form, or undefined when absent. */
function field(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  if (value === null) return undefined;
  if (typeof value !== 'string') throw new GatewayError(400, `${name} must be a text field, not a file`);
  return value;
}
