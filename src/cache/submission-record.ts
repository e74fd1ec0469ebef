import { createHash } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The submission record (SPEC §3 "Reruns, spend and the cache"): which evaluation each
 * Idempotency-Key created, per API base URL and organization, so a rerun reads the evaluation by
 * id instead of posting (and paying) again, however long the service remembers its keys.
 *
 * Layout: `<cache>/submissions/<namespace>/<shard>.log`, where the namespace is a digest of the
 * base URL and organization and the shard is the first two hex digits of the entry's digest (256
 * shards). Each shard is an append-only log of fixed-shape lines `<32 hex digest> <evaluation id>\n`:
 *
 * - Small and fast at 100,000 entries: about 70 bytes an entry, and one `submit` reads one shard
 *   (~30 KB at 100,000 entries) instead of the whole record; a gate reads each shard once.
 * - Safe with concurrent writers (two CI jobs on one runner): every entry is one `write()` to a
 *   file opened with O_APPEND, which the kernel places at the end atomically, so no entry
 *   overwrites another and no lock is needed. Nothing is ever rewritten in place.
 * - Tolerant of a torn write (a crash or a full disk mid-line): the unterminated tail is ignored,
 *   and a line a later append was glued onto is read from its end, where the complete entry is.
 * - Holds no secret: the entry digest is a hash of the idempotency key and the request's content
 *   key; the API key never comes near it.
 *
 * Like every cache, it never fails a command: an unreadable shard is "nothing recorded", a failed
 * write is "not recorded this time".
 */

export interface RecordNamespace {
  baseUrl: string;
  orgId?: string;
}

/** What an evaluation is recorded under. */
export interface RecordKey {
  /** The Idempotency-Key sent. */
  idempotencyKey: string;
  /**
   * The key the request's content derives (src/evaluations/idempotency.ts). It tells apart two different
   * requests sent with the same user-chosen `--idempotency-key`: the service refuses the second
   * with a 409, so the record must not hand back the first one's evaluation for it.
   */
  contentKey: string;
}

export const RECORD_FOLDER = 'submissions';
const SHARD_DIGITS = 2;
const DIGEST_HEX = 32;
/** Evaluation ids are UUIDs; anything else that is safe on one line is accepted, not more. */
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** An entry at the end of a line (a torn write before it is ignored). */
const ENTRY_AT_END = /([0-9a-f]{32}) ([A-Za-z0-9._:-]{1,128})$/;

export class SubmissionRecord {
  /** This namespace's folder. */
  readonly dir: string;
  readonly #shards = new Map<string, Promise<Map<string, string>>>();
  #ready?: Promise<void>;
  readonly #namespace: RecordNamespace;
  readonly #pending = new Set<Promise<boolean>>();
  /**
   * Entries this instance wrote. A run does not reuse its own: two inputs of one gate with the
   * same content are posted as before (the service's idempotency gives both the one evaluation),
   * so "reused" means "paid for by an earlier run", never "a duplicate in this one".
   */
  readonly #written = new Set<string>();

  constructor(
    readonly cacheDir: string,
    namespace: RecordNamespace,
  ) {
    this.#namespace = { baseUrl: normalizeBase(namespace.baseUrl), orgId: namespace.orgId || undefined };
    this.dir = path.join(cacheDir, RECORD_FOLDER, namespaceId(this.#namespace));
  }

  /** The evaluation id recorded for this key, if any. */
  async get(key: RecordKey): Promise<string | undefined> {
    const digest = entryDigest(key);
    if (this.#written.has(digest)) return undefined;
    const shard = await this.#shard(digest);
    return shard.get(digest);
  }

  /**
   * Records an evaluation in the background: a submission goes on at once (a gate counts it in
   * flight straight away, which its concurrency control depends on), and `flush()` waits for
   * every write before the command ends. Resolves false when the record cannot be written.
   */
  record(key: RecordKey, evaluationId: string): Promise<boolean> {
    const write = this.set(key, evaluationId);
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
    return write;
  }

  /** Waits for every write `record()` started. */
  async flush(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }

  /** Records an evaluation; false (and nothing thrown) when the record cannot be written. */
  async set(key: RecordKey, evaluationId: string): Promise<boolean> {
    if (!VALID_ID.test(evaluationId)) return false;
    const digest = entryDigest(key);
    this.#written.add(digest);
    try {
      await this.#prepareDir();
      // One write() of the whole line on an O_APPEND descriptor: see the module comment.
      const handle = await open(this.#shardFile(digest), 'a', 0o600);
      try {
        const line = Buffer.from(`${digest} ${evaluationId}\n`, 'latin1');
        const { bytesWritten } = await handle.write(line, 0, line.length);
        if (bytesWritten !== line.length) return false;
      } finally {
        await handle.close();
      }
    } catch {
      return false;
    }
    const loaded = this.#shards.get(shardOf(digest));
    if (loaded) (await loaded).set(digest, evaluationId);
    return true;
  }

  #shardFile(digest: string): string {
    return path.join(this.dir, `${shardOf(digest)}.log`);
  }

  #shard(digest: string): Promise<Map<string, string>> {
    const name = shardOf(digest);
    let loading = this.#shards.get(name);
    if (!loading) {
      loading = readShard(this.#shardFile(digest));
      this.#shards.set(name, loading);
    }
    return loading;
  }

  #prepareDir(): Promise<void> {
    this.#ready ??= (async () => {
      const created = await mkdir(this.dir, { recursive: true, mode: 0o700 });
      if (created === undefined) return;
      // Says which API the folder belongs to, for someone looking at the cache; never read back.
      const about = { base_url: this.#namespace.baseUrl, org_id: this.#namespace.orgId ?? null };
      await writeFile(path.join(this.dir, 'namespace.json'), `${JSON.stringify(about)}\n`, { flag: 'wx', mode: 0o600 }).catch(() => undefined);
    })();
    // A failure (a read-only cache) is retried on the next write rather than remembered.
    return this.#ready.catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
  }
}

async function readShard(file: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch {
    return entries;
  }
  // The part after the last newline is a write still under way or a torn one: not an entry.
  const end = text.lastIndexOf('\n');
  let start = 0;
  while (start < end) {
    const stop = text.indexOf('\n', start);
    const line = text.slice(start, stop);
    start = stop + 1;
    // The common case, a well-formed line, without a regular expression.
    const space = line.indexOf(' ');
    if (space === DIGEST_HEX && line.length > DIGEST_HEX + 1 && line.indexOf(' ', space + 1) < 0 && /^[0-9a-f]+$/.test(line.slice(0, DIGEST_HEX))) {
      const id = line.slice(DIGEST_HEX + 1);
      if (VALID_ID.test(id)) {
        entries.set(line.slice(0, DIGEST_HEX), id);
        continue;
      }
    }
    const m = ENTRY_AT_END.exec(line);
    if (m) entries.set(m[1]!, m[2]!);
  }
  return entries;
}

export function entryDigest(key: RecordKey): string {
  return createHash('sha256').update(`runflow-eval/record/v1\n${key.idempotencyKey}\n${key.contentKey}`).digest('hex').slice(0, DIGEST_HEX);
}

function shardOf(digest: string): string {
  return digest.slice(0, SHARD_DIGITS);
}

function normalizeBase(baseUrl: string): string {
  // The same API reached as `https://x/` and `https://x` is one API.
  return baseUrl.replace(/\/+$/, '');
}

function namespaceId(ns: RecordNamespace): string {
  return createHash('sha256').update(`${ns.baseUrl}\n${ns.orgId ?? ''}`).digest('hex').slice(0, 20);
}
