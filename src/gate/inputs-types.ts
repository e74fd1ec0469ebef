import type { SubmissionSpec } from '../submission.js';

/**
 * One gate input after expansion (folders into their images, a manifest into its items), in
 * input order: arguments, then manifest items, then ids.
 */
export type GateInput =
  | {
      kind: 'submit';
      /** The image as the user gave it (argument, folder entry joined to the folder, or manifest `image`). */
      display: string;
      spec: SubmissionSpec;
      /** Per-item threshold from a manifest; undefined means the --threshold flag. */
      threshold?: number;
      /** What the shard hash is computed from: the image string, or the canonical manifest item. */
      shardKey: string;
      /** Where it came from, for error messages: `argument 2`, `manifest.jsonl:7`. */
      origin: string;
    }
  | {
      kind: 'id';
      display: string;
      id: string;
      threshold?: number;
      shardKey: string;
      origin: string;
    };
