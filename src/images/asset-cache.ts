import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Remembers which `runflow://assets/` reference a file's bytes were uploaded as, per API base URL
 * and organization, so a rerun sends the same reference (an identical body, hence the same
 * idempotency key) instead of uploading again. Assets do not expire; the API re-signs them at
 * dispatch.
 *
 * It is only a cache: a missing, unreadable or corrupt file means "nothing remembered", and a
 * failed write means "not remembered this time". Neither ever fails a command.
 */
export interface AssetCacheKey {
  baseUrl: string;
  orgId?: string;
  /** sha256 hex of the file's bytes. */
  sha256: string;
}

interface CacheEntry {
  ref: string;
  /** ms since epoch of the last write, to drop the oldest entries first. */
  at: number;
}

interface CacheFile {
  version: 1;
  entries: Record<string, CacheEntry>;
}

/** Keeps the file small however many images pass through over time. */
const MAX_ENTRIES = 20_000;

export const ASSET_CACHE_FILENAME = 'assets.json';

export class AssetCache {
  readonly file: string;
  /** Writes are chained so concurrent uploads in one process do not lose each other's entries. */
  private writing: Promise<unknown> = Promise.resolve();
  /** Where earlier versions kept this file (the config folder); moved here on first use. */
  private readonly legacyFile?: string;
  private migration?: Promise<void>;
  /**
   * The file as this process last read or wrote it: a gate looks up every file it uploads, and
   * re-reading up to 20,000 entries per lookup made that cost grow with the cache. Writes still
   * re-read the file first, so entries other processes added meanwhile are kept.
   */
  private memory?: Promise<CacheFile>;

  /**
   * @param dir the cache folder (SPEC §2).
   * @param opts.legacyDir the folder an older version kept `assets.json` in (the config folder):
   *   its entries are moved here once, so an upgrade uploads nothing again.
   */
  constructor(
    readonly dir: string,
    opts: { legacyDir?: string } = {},
  ) {
    this.file = path.join(dir, ASSET_CACHE_FILENAME);
    if (opts.legacyDir && path.resolve(opts.legacyDir) !== path.resolve(dir)) this.legacyFile = path.join(opts.legacyDir, ASSET_CACHE_FILENAME);
  }

  async get(key: AssetCacheKey): Promise<string | undefined> {
    await this.writing.catch(() => undefined);
    const data = await (this.memory ??= this.load());
    return data.entries[cacheKey(key)]?.ref;
  }

  /** Records a reference; returns false (and keeps going) when the file cannot be written. */
  set(key: AssetCacheKey, ref: string): Promise<boolean> {
    const next = this.writing.then(() => this.write(key, ref)).catch(() => false);
    this.writing = next;
    return next;
  }

  /** Forgets a reference the API no longer knows (a 422 "asset not found"). */
  delete(key: AssetCacheKey): Promise<boolean> {
    const next = this.writing.then(() => this.write(key, undefined)).catch(() => false);
    this.writing = next;
    return next;
  }

  private async write(key: AssetCacheKey, ref: string | undefined): Promise<boolean> {
    // Re-read before writing so entries another process added meanwhile are kept.
    const data = await this.load();
    const id = cacheKey(key);
    if (ref === undefined) {
      if (!(id in data.entries)) return true;
      delete data.entries[id];
    } else {
      data.entries[id] = { ref, at: Date.now() };
    }
    prune(data);
    await this.writeFile(data);
    this.memory = Promise.resolve(data);
    return true;
  }

  private async load(): Promise<CacheFile> {
    if (this.legacyFile) await (this.migration ??= this.migrate(this.legacyFile));
    return readCacheFile(this.file);
  }

  /**
   * Moves the entries of the old location into the cache folder, once: merged under what the new
   * file already holds, written, then the old file removed so it is never read again. A failure
   * leaves the old file where it is, to be tried on the next run.
   */
  private async migrate(legacyFile: string): Promise<void> {
    const legacy = await readCacheFile(legacyFile, true);
    if (!legacy) return;
    try {
      const current = await readCacheFile(this.file);
      const data: CacheFile = { version: 1, entries: { ...legacy.entries, ...current.entries } };
      prune(data);
      await this.writeFile(data);
      await rm(legacyFile, { force: true });
    } catch {
      // not moved this time
    }
  }

  private async writeFile(data: CacheFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(data), { mode: 0o600 });
      // writeFile's mode is filtered by the umask; make it exact.
      await chmod(temp, 0o600);
      await rename(temp, this.file);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
  }
}

/** The file's entries; an unreadable or corrupt file is an empty cache (or undefined when `missingAsUndefined`). */
async function readCacheFile(file: string, missingAsUndefined: true): Promise<CacheFile | undefined>;
async function readCacheFile(file: string): Promise<CacheFile>;
async function readCacheFile(file: string, missingAsUndefined = false): Promise<CacheFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return missingAsUndefined ? undefined : emptyCache();
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isCacheFile(parsed)) return emptyCache();
    const entries: Record<string, CacheEntry> = {};
    for (const [id, entry] of Object.entries(parsed.entries)) {
      if (isEntry(entry)) entries[id] = entry;
    }
    return { version: 1, entries };
  } catch {
    return emptyCache();
  }
}

function cacheKey(key: AssetCacheKey): string {
  // The same API reached as `https://x/` and `https://x` is one API.
  const base = key.baseUrl.replace(/\/+$/, '');
  return JSON.stringify([base, key.orgId ?? '', key.sha256.toLowerCase()]);
}

function emptyCache(): CacheFile {
  return { version: 1, entries: {} };
}

function prune(data: CacheFile): void {
  const ids = Object.keys(data.entries);
  if (ids.length <= MAX_ENTRIES) return;
  ids.sort((a, b) => data.entries[a]!.at - data.entries[b]!.at);
  for (const id of ids.slice(0, ids.length - MAX_ENTRIES)) delete data.entries[id];
}

function isCacheFile(value: unknown): value is CacheFile {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.version === 1 && typeof record.entries === 'object' && record.entries !== null && !Array.isArray(record.entries);
}

function isEntry(value: unknown): value is CacheEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.ref === 'string' && entry.ref.startsWith('runflow://assets/') && typeof entry.at === 'number';
}
