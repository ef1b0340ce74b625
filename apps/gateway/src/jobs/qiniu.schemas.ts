import { z } from 'zod';
import { GatewayError } from '../http/error.filter';

const required = (name: string) => z.string({ error: `${name} is required` }).min(1, `${name} is required`);

/** The form of `POST /pfop/` (Qiniu's persistent fop), urlencoded as the SDKs send it. */
export const pfopFormSchema = z.object({
  bucket: required('bucket'),
  key: required('key'),
  fops: required('fops').describe('fops separated by `;`, each may end with |saveas/...'),
  notifyURL: z.string().optional().describe('webhook for the end (notifyUrl is accepted too)'),
  notifyUrl: z.string().optional(),
  pipeline: z.string().optional(),
  force: z.string().optional().describe('1 or true: run even if the results exist'),
  type: z.string().optional(),
});

export type PfopForm = z.infer<typeof pfopFormSchema>;

/** A pfop form, checked against pfopFormSchema; a 400 naming the first field missing. */
export function parsePfopForm(body: Buffer): PfopForm {
  const form = new URLSearchParams(body.toString('utf8'));
  const fields: Record<string, string> = {};
  for (const name of Object.keys(pfopFormSchema.shape)) {
    const value = form.get(name);
    if (value !== null) fields[name] = value;
  }
  const parsed = pfopFormSchema.safeParse(fields);
  if (!parsed.success) throw new GatewayError(400, parsed.error.issues[0].message);
  return parsed.data;
}

export const pfopAcceptedSchema = z.object({ persistentId: z.string() });
/** `status/get/prefop` takes the id in the query or as a form. */
export const prefopFormSchema = z.object({ id: z.string().min(1) });
