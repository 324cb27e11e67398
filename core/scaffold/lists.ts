// How a kustomization's list is kept, learnt from its entries, so that a new entry reads like its
// neighbours: where it goes (a sorted run of similar entries stays sorted, else after the entry it
// mirrors, else at the end) and how it is written (`./x`, `x/`, quoting).

/** Entries of the same shape: `./a/ks.yaml` and `./b/ks.yaml`, or `../base/a` and `../base/b`. */
function shape(entry: string): string {
  const parts = norm(entry).split('/');
  const last = parts[parts.length - 1] ?? '';
  const ext = /\.[a-z]+$/i.exec(last)?.[0] ?? '';
  const ups = parts.filter((p) => p === '..').length;
  return parts.length > 1 && ext ? `${parts.length}:${ups}:${last}` : `${parts.length}:${ups}:${ext || 'dir'}`;
}

/** The entry as a path: no `./` in front, no `/` behind. */
const norm = (entry: string) => entry.replace(/^\.\//, '').replace(/\/+$/, '');
const isDir = (entry: string) => !/\.[a-z]+$/i.test(norm(entry));
const before = (a: string, b: string) => norm(a).toLowerCase().localeCompare(norm(b).toLowerCase(), 'en') < 0;

export interface ListStyle {
  /** Entries of the new one's shape are kept in order (or are too few to tell). */
  sorted: boolean;
  /** Entries start with `./` (true), never do (false), or there is no telling (undefined). */
  dotSlash?: boolean;
  /** Folder entries end with `/`. */
  dirSlash?: boolean;
}

const all = <T>(xs: T[], p: (x: T) => boolean): boolean | undefined => (xs.length ? (xs.every(p) ? true : xs.some(p) ? undefined : false) : undefined);

/** The style of `entries` for a new `entry`: the entries of its shape speak first, then all of them. */
export function listStyle(entries: string[], entry: string): ListStyle {
  const same = entries.filter((e) => shape(e) === shape(entry));
  const local = entries.filter((e) => !e.startsWith('../') && !/^[a-z]+:\/\//i.test(e));
  const dirs = (same.length ? same : entries).filter(isDir);
  return {
    // One entry or none says nothing against order: the new one goes where a sorted list would have it.
    sorted: same.every((e, i) => i === 0 || !before(e, same[i - 1] as string)),
    ...(all(same.length ? same : local, (e) => e.startsWith('./')) !== undefined ? { dotSlash: all(same.length ? same : local, (e) => e.startsWith('./')) as boolean } : {}),
    ...(all(dirs, (e) => e.endsWith('/')) !== undefined ? { dirSlash: all(dirs, (e) => e.endsWith('/')) as boolean } : {}),
  };
}

/** `entry` written as the style says. */
export function styled(entry: string, style: ListStyle): string {
  let e = entry;
  if (style.dotSlash === true && !e.startsWith('./') && !e.startsWith('../') && !/^[a-z]+:\/\//i.test(e)) e = `./${e}`;
  if (style.dotSlash === false && e.startsWith('./')) e = e.slice(2);
  if (isDir(e) && style.dirSlash === true && !e.endsWith('/')) e = `${e}/`;
  if (isDir(e) && style.dirSlash === false) e = e.replace(/\/+$/, '');
  return e;
}

/**
 * Where `entry` goes among `entries`: in order within a sorted run of its shape, else right after
 * `after`, else after the last entry of its shape, else at the end.
 */
export function insertionIndex(entries: string[], entry: string, style: ListStyle, after?: string): number {
  const same = entries.map((e, i) => [e, i] as const).filter(([e]) => shape(e) === shape(entry));
  if (style.sorted && same.length) {
    const next = same.find(([e]) => before(entry, e));
    return next ? next[1] : (same[same.length - 1] as readonly [string, number])[1] + 1;
  }
  const at = after === undefined ? -1 : entries.indexOf(after);
  if (at >= 0) return at + 1;
  return same.length ? (same[same.length - 1] as readonly [string, number])[1] + 1 : entries.length;
}

/**
 * Where `entry` goes in a list that mirrors another (`like`, the exemplar's, renamed) kept in no
 * order: after the entries that come before its counterpart there; at the end when it has none.
 */
export function mirrorIndex(entries: string[], entry: string, like: string[]): number {
  const rank = (e: string) => { const i = like.findIndex((x) => norm(x) === norm(e)); return i < 0 ? Infinity : i; };
  const r = rank(entry);
  const next = entries.findIndex((e) => rank(e) > r);
  return next < 0 ? entries.length : next;
}
