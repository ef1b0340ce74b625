import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isCommandName, isCustomCommandName } from '@fopflow/fop';
import { isReservedWord } from '../registry/command.registry';
import { UfopRequestError } from '../ufop.errors';

/** Template `fopctl init` writes when none is named: a node UFOP on built-ins only. */
export const DEFAULT_UFOP_TEMPLATE = 'node';
/** Stands for the UFOP's name in the template files; every occurrence is replaced. */
export const UFOP_TEMPLATE_NAME_PLACEHOLDER = '{{UFOP_NAME}}';

/** Where the templates live inside the repository (and the installed package). */
const TEMPLATES_PATH = join('libs', 'ufop', 'templates');

/** A template could not be written as asked: the files already exist, or the template is missing. */
export class UfopTemplateError extends Error {
  constructor(
    message: string,
    /** The files that would have been overwritten, when that is the reason. */
    readonly existing: string[] = [],
  ) {
    super(message);
    this.name = 'UfopTemplateError';
  }
}

/**
 * The directory a template's files are in. The templates are not compiled, so they stay in the
 * source tree: from libs/ufop/src/build (ts-jest) and dist/libs/ufop/src/build (the build) alike, the
 * ancestor that holds libs/ufop/templates is the repository root.
 */
export function ufopTemplateDir(template = DEFAULT_UFOP_TEMPLATE): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, TEMPLATES_PATH, template);
    if (existsSync(join(candidate, 'ufop.yaml'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new UfopTemplateError(`UFOP template '${template}' not found: no ${join(TEMPLATES_PATH, template, 'ufop.yaml')} above ${__dirname}`);
}

/**
 * Writes a new UFOP's starting files into `dir` (created if missing) with `name` filled in, and
 * returns the paths written. Nothing is overwritten: when any file exists, none is written and the
 * error names them all.
 */
export function writeUfopTemplate(dir: string, name: string, template = DEFAULT_UFOP_TEMPLATE): string[] {
  // The name ends up in image tags, queue names and URLs; the registration rule keeps it safe in all.
  if (!isCustomCommandName(name)) {
    throw new UfopRequestError(`UFOP name must be 2-40 lower-case letters and digits with single '-' between them, starting with a letter, got '${name}'`);
  }
  if (isCommandName(name)) throw new UfopRequestError(`'${name}' is an official command; choose another UFOP name`);
  if (isReservedWord(name)) throw new UfopRequestError(`'${name}' is a word Fopflow reserves; choose another UFOP name`);

  const source = ufopTemplateDir(template);
  const files = listFiles(source);
  const targets = files.map((file) => resolve(dir, file));
  const existing = targets.filter((target) => existsSync(target));
  if (existing.length > 0) {
    throw new UfopTemplateError(`refusing to overwrite ${existing.join(', ')}: move them away or choose an empty directory`, existing);
  }
  files.forEach((file, index) => {
    const text = readFileSync(join(source, file), 'utf8').split(UFOP_TEMPLATE_NAME_PLACEHOLDER).join(name);
    mkdirSync(dirname(targets[index]), { recursive: true });
    // 'wx' fails rather than overwrite a file created since the check above.
    writeFileSync(targets[index], text, { flag: 'wx' });
  });
  return targets;
}

/** Every file under dir, as paths relative to it, in a stable order. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}
