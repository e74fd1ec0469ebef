import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RefSpec, SubmissionSpec } from './spec.js';

/** The flags of SPEC §3's submit table, shared by `submit` and `gate` (where they are defaults). */
export interface SubmitFlags {
  taskType?: string;
  taskDescription?: string;
  prompt?: string;
  instructions?: string;
  attr?: string[];
  ref?: string[];
  runId?: string;
  clientRef?: string;
  jobClass?: string;
  callbackUrl?: string;
  idempotencyKey?: string;
  resubmit?: boolean;
  upload?: boolean;
  timeout?: string;
  /** A project file's "refs" (SPEC §2), as a manifest gives them; `--ref` replaces them. */
  refSpecs?: RefSpec[];
  /** A project file's "attr" object; `--attr` replaces it. */
  attributes?: Record<string, unknown>;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addSubmitFlags(cmd: Command, opts: { perImageKey: boolean }): Command {
  cmd
    .option('--task-type <type>', 'what kind of generation produced the image, e.g. headshot (1-100 chars)')
    .option('--task-description <text>', 'longer description of the task (max 4,000 chars)')
    .option('--prompt <text>', 'the generation prompt (max 10,000 chars)')
    .option('--instructions <text>', 'evaluation instructions: what to prioritise or ignore (max 4,000 chars)')
    .option('--attr <key=value>', 'input attribute (repeatable); key:=<json> for a non-string value', collect)
    .option('--ref <image[::kind[::description]]>', 'reference image (repeatable, at most 4)', collect)
    .option('--run-id <uuid>', 'associate with a Runflow run')
    .option('--client-ref <ref>', 'your correlation label (max 255 chars)')
    .option('--job-class <class>', 'evaluation job class (default standard)')
    .option('--callback-url <url>', 'https:// URL to receive the terminal evaluation (max 2,048 chars)')
    .option('--resubmit', 'use a fresh Idempotency-Key: create (and pay for) a new evaluation even if this one was submitted before')
    .option('--upload', 'send local files through the upload flow even when they would fit inline');
  if (opts.perImageKey) cmd.option('--idempotency-key <key>', 'Idempotency-Key to send (default: derived from the request content)');
  return cmd;
}

/** The spec for one image from the flags; manifest items override these field by field. */
export function specFromFlags(image: string, flags: SubmitFlags): SubmissionSpec {
  return {
    image,
    taskType: flags.taskType,
    taskDescription: flags.taskDescription,
    prompt: flags.prompt,
    instructions: flags.instructions,
    attributes: flags.attr?.length ? parseAttrFlags(flags.attr) : flags.attributes,
    refs: flags.ref?.length ? flags.ref.map(parseRefFlag) : [...(flags.refSpecs ?? [])],
    runId: flags.runId,
    clientRef: flags.clientRef,
    jobClass: flags.jobClass,
    callbackUrl: flags.callbackUrl,
  };
}

/** `--ref IMAGE[::kind[::description]]`: `::` because commas occur in URLs and data: URIs. */
export function parseRefFlag(value: string): RefSpec {
  const [image, kind, ...rest] = value.split('::');
  if (!image) throw new UsageError(`--ref ${JSON.stringify(value)} has no image before '::'`);
  const description = rest.length ? rest.join('::') : undefined;
  return { image, kind: kind || undefined, description: description || undefined };
}

/**
 * `--attr key=value` gives a string; `--attr key:=json` gives a JSON value (number, boolean,
 * object), as httpie does, for attributes that are not text.
 */
export function parseAttrFlags(values: string[] | undefined): Record<string, unknown> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, unknown> = {};
  for (const raw of values) {
    const jsonForm = /^([^=:]+):=(.*)$/s.exec(raw);
    if (jsonForm) {
      try {
        out[jsonForm[1]!.trim()] = JSON.parse(jsonForm[2]!);
      } catch {
        throw new UsageError(`--attr ${JSON.stringify(raw)}: the value after ':=' is not valid JSON`);
      }
      continue;
    }
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new UsageError(`--attr ${JSON.stringify(raw)} must look like key=value (or key:=<json>)`);
    out[raw.slice(0, eq).trim()] = raw.slice(eq + 1);
  }
  return out;
}
