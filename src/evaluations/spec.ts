/**
 * What one submission asks for, as the user gave it (flags or a manifest item), and the request
 * body it makes: the one shape both building a request (request.ts) and working out its keys
 * without the network (keys.ts) start from.
 */
import type { EvaluationRequest, ReferenceImage } from '../api/types.js';
import type { ImageInput } from '../images/classify.js';

/** One reference image as the user gave it. */
export interface RefSpec {
  image: string;
  kind?: string;
  description?: string;
}

/** What to submit for one image, from flags or a manifest item, before anything is resolved. */
export interface SubmissionSpec {
  image: string;
  /** Where relative paths are resolved from (a manifest's folder); default the working directory. */
  baseDir?: string;
  /** Names the source of a value in errors, e.g. `--prompt` or `manifest.jsonl:3 prompt`. */
  label?: (field: string) => string;
  taskType?: string;
  taskDescription?: string;
  prompt?: string;
  instructions?: string;
  attributes?: Record<string, unknown>;
  refs: RefSpec[];
  runId?: string;
  clientRef?: string;
  jobClass?: string;
  callbackUrl?: string;
}

export interface PreparedSubmission {
  spec: SubmissionSpec;
  image: ImageInput;
  refs: Array<{ spec: RefSpec; input: ImageInput }>;
}

/** The request body of a submission (SPEC §3 "submit / gate options"). */
export function bodyFor(s: SubmissionSpec, imageUrl: string, refs: ReferenceImage[]): EvaluationRequest {
  const body: EvaluationRequest = { generated_image_url: imageUrl, task_type: s.taskType! };
  if (s.taskDescription !== undefined) body.task_description = s.taskDescription;
  if (s.prompt !== undefined) body.generation_prompt = s.prompt;
  if (s.instructions !== undefined) body.evaluation_instructions = s.instructions;
  if (s.attributes !== undefined) body.input_attributes = s.attributes;
  if (refs.length) body.reference_images = refs;
  if (s.runId !== undefined) body.run_id = s.runId;
  if (s.clientRef !== undefined) body.client_ref = s.clientRef;
  body.job_class = s.jobClass ?? 'standard';
  if (s.callbackUrl !== undefined) body.callback_url = s.callbackUrl;
  return body;
}
