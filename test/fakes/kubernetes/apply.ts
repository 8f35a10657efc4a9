// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
/**
 * Server-side apply and field ownership, as the API server documents it
 * (kubernetes.io/docs/reference/using-api/server-side-apply): each manager owns the
 * fields it set; an apply that changes a field another manager owns is a conflict unless
 * forced (then ownership moves); fields a manager stops applying are removed when nobody
 * else owns them. Simplification: lists are atomic (real SSA merges associative lists
 * such as containers by name).
 */
const SEP = "\u001f";
const IGNORED = new Set(["apiVersion", "kind", "status"]);
const IGNORED_META = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "deletionTimestamp",
]);

export type Ownership = Map<string, { paths: Set<string>; operation: string; time: string }>;
export type Conflict = { manager: string; path: string };

export function leaves(obj: any): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: any, path: string[]) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) {
        if (path.length === 0 && IGNORED.has(k)) continue;
        if (path.length === 1 && path[0] === "metadata" && IGNORED_META.has(k)) continue;
        walk(child, [...path, k]);
      }
    } else if (path.length > 0) out.set(path.join(SEP), JSON.stringify(v));
  };
  walk(obj, []);
  return out;
}

function getPath(obj: any, path: string): any {
  let cur = obj;
  for (const p of path.split(SEP)) cur = cur?.[p];
  return cur;
}

function setPath(obj: any, path: string, value: any): void {
  const parts = path.split(SEP);
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== "object") cur[p] = {};
    cur = cur[p];
  }
  cur[parts.at(-1) as string] = value;
}

function deletePath(obj: any, path: string): void {
  const parts = path.split(SEP);
  const chain: any[] = [obj];
  for (const p of parts.slice(0, -1)) {
    const next = chain.at(-1)?.[p];
    if (next == null) return;
    chain.push(next);
  }
  delete chain.at(-1)[parts.at(-1) as string];
  // prune maps left empty
  for (let i = parts.length - 2; i >= 0; i--) {
    const parent = chain[i];
    const k = parts[i] as string;
    if (parent[k] && typeof parent[k] === "object" && Object.keys(parent[k]).length === 0) {
      delete parent[k];
    } else break;
  }
}

export const showPath = (path: string) => `.${path.split(SEP).join(".")}`;

/** Applies `applied` over `existing` for `manager`; returns conflicts instead when unforced. */
export function apply(
  existing: any | undefined,
  applied: any,
  owners: Ownership,
  manager: string,
  force: boolean,
): { object: any } | { conflicts: Conflict[] } {
  const want = leaves(applied);
  const now = new Date().toISOString();
  if (!existing) {
    owners.set(manager, { paths: new Set(want.keys()), operation: "Apply", time: now });
    return { object: structuredClone(applied) };
  }
  const conflicts: Conflict[] = [];
  for (const [path, value] of want) {
    for (const [m, own] of owners) {
      if (m === manager || !own.paths.has(path)) continue;
      if (JSON.stringify(getPath(existing, path)) !== value) conflicts.push({ manager: m, path });
    }
  }
  if (conflicts.length > 0 && !force) return { conflicts };
  for (const c of conflicts) owners.get(c.manager)?.paths.delete(c.path);
  const result = structuredClone(existing);
  const before = owners.get(manager)?.paths ?? new Set<string>();
  for (const path of before) {
    if (want.has(path)) continue;
    const ownedElsewhere = [...owners].some(([m, o]) => m !== manager && o.paths.has(path));
    if (!ownedElsewhere) deletePath(result, path);
  }
  for (const [path, value] of want) setPath(result, path, JSON.parse(value));
  owners.set(manager, { paths: new Set(want.keys()), operation: "Apply", time: now });
  return { object: result };
}

/** A non-apply write (PUT, merge patch, scale): the changed fields move to its manager. */
export function recordUpdate(before: any, after: any, owners: Ownership, manager: string): void {
  const a = leaves(before);
  const b = leaves(after);
  const changed = [...b].filter(([p, v]) => a.get(p) !== v).map(([p]) => p);
  if (changed.length === 0) return;
  for (const [m, own] of owners) if (m !== manager) for (const p of changed) own.paths.delete(p);
  const mine = owners.get(manager) ?? {
    paths: new Set<string>(),
    operation: "Update",
    time: "",
  };
  for (const p of changed) mine.paths.add(p);
  mine.time = new Date().toISOString();
  owners.set(manager, mine);
}

/** managedFields as the API returns them, with FieldsV1 trees (`f:spec: {f:replicas: {}}`). */
export function managedFields(owners: Ownership, apiVersion: string): any[] {
  const out: any[] = [];
  for (const [manager, own] of owners) {
    if (own.paths.size === 0) continue;
    const tree: any = {};
    for (const path of own.paths) {
      let cur = tree;
      for (const p of path.split(SEP)) {
        const key = `f:${p}`;
        cur[key] ??= {};
        cur = cur[key];
      }
    }
    out.push({
      manager,
      operation: own.operation,
      apiVersion,
      time: own.time,
      fieldsType: "FieldsV1",
      fieldsV1: tree,
    });
  }
  return out;
}

/** RFC 7386 JSON merge patch (strategic merge behaves the same for the maps Berth patches). */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out =
    target !== null && typeof target === "object" && !Array.isArray(target)
      ? structuredClone(target)
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
