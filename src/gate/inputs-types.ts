import type { SubmissionSpec } from '../evaluations/spec.js';

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
    }
  | {
      /**
       * A folder entry with an image extension that is empty or not an image by its content: never
       * sent, reported as an `invalid_media` result so a broken output cannot pass unseen.
       */
      kind: 'invalid';
      display: string;
      /** Why it is not an image (`renders/shot-2.png is empty`). */
      reason: string;
      threshold?: number;
      shardKey: string;
      origin: string;
    };

/** A file a folder (or glob) expansion passed over, and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}
