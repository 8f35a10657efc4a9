// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import {
  apply,
  managedFields,
  mergePatch,
  type Ownership,
  recordUpdate,
  showPath,
} from "./apply.ts";
import type { Cluster } from "./cluster.ts";
import { gv, type ResourceDef } from "./discovery.ts";
import { fail, json, readBody } from "./respond.ts";
import { matcher } from "./selectors.ts";
import { serveWatch } from "./watch.ts";

export type Target = { def: ResourceDef; ns: string | undefined; name: string | undefined };

const strip = (o: any) => {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest;
};

function managerOf(req: IncomingMessage, q: URLSearchParams): string {
  return (
    q.get("fieldManager") ?? (req.headers["user-agent"] ?? "unknown").split("/")[0] ?? "unknown"
  );
}

/** Stamps generation (bumped when spec changes) and managedFields, keeps status, stores. */
function store(c: Cluster, t: Target, before: any, next: any, owners?: Ownership): any {
  next.apiVersion = gv(t.def);
  next.kind = t.def.kind;
  next.metadata.namespace = t.def.namespaced ? t.ns : undefined;
  if (before) {
    next.metadata.uid = before.metadata.uid;
    next.metadata.creationTimestamp = before.metadata.creationTimestamp;
    if (before.status !== undefined && t.def.name !== "namespaces") next.status = before.status;
    const changed = JSON.stringify(before.spec) !== JSON.stringify(next.spec);
    next.metadata.generation = (before.metadata.generation ?? 1) + (changed ? 1 : 0);
  } else if (next.spec !== undefined) {
    next.metadata.generation = 1;
  }
  if (t.def.name === "namespaces") next.status = { phase: "Active" };
  next.metadata.uid ??= randomUUID();
  if (owners) c.owners.set(next.metadata.uid, owners);
  next.metadata.managedFields = managedFields(c.ownership(next.metadata.uid), gv(t.def));
  return c.store.put(t.def.name, next);
}

export async function handleCrud(
  c: Cluster,
  req: IncomingMessage,
  res: ServerResponse,
  t: Target,
  q: URLSearchParams,
): Promise<void> {
  const { def, ns, name } = t;
  const method = req.method ?? "GET";
  if (def.namespaced && ns && def.name !== "events" && !c.store.get("namespaces", undefined, ns)) {
    if (method === "POST" || method === "PATCH" || method === "PUT") {
      return fail(res, 404, `namespaces "${ns}" not found`);
    }
  }
  const existing = name ? c.store.get(def.name, ns, name) : undefined;
  const notFound = () =>
    fail(
      res,
      404,
      `${def.name}${def.group ? `.${def.group}` : ""} "${name}" not found`,
      "NotFound",
      {
        name,
        group: def.group,
        kind: def.name,
      },
    );

  if (method === "GET" && !name) {
    if (q.get("watch") === "true" || q.get("watch") === "1") return serveWatch(c, res, def, ns, q);
    const match = matcher(q.get("labelSelector"), q.get("fieldSelector"));
    const items = c.store.list(def.name, ns).filter(match).map(strip);
    return json(res, 200, {
      kind: `${def.kind}List`,
      apiVersion: gv(def),
      metadata: { resourceVersion: String(c.store.rv) },
      items,
    });
  }
  if (method === "GET") return existing ? json(res, 200, existing) : notFound();

  if (method === "DELETE") {
    if (!existing || !name) return notFound();
    if (def.name === "namespaces") {
      for (const [k, o] of [...c.store.objects]) {
        if (o.metadata.namespace === name)
          c.store.remove(k.split("/")[0] as string, name, o.metadata.name);
      }
    }
    const body = (await readBody(req)) || "{}";
    const policy = q.get("propagationPolicy") ?? JSON.parse(body).propagationPolicy;
    if (policy === "Orphan") {
      for (const o of [...c.store.objects.values()]) {
        if ((o.metadata.ownerReferences ?? []).some((r: any) => r.uid === existing.metadata.uid)) {
          const copy = structuredClone(o);
          copy.metadata.ownerReferences = copy.metadata.ownerReferences.filter(
            (r: any) => r.uid !== existing.metadata.uid,
          );
          c.update(`${o.kind.toLowerCase()}s`, o, (x) => Object.assign(x, copy));
        }
      }
    }
    c.store.remove(def.name, ns, name);
    return json(res, 200, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name, group: def.group, kind: def.name, uid: existing.metadata.uid },
    });
  }

  const text = await readBody(req);
  let body: any;
  try {
    body = parseYaml(text);
  } catch (err) {
    return fail(res, 400, `error decoding body: ${(err as Error).message}`);
  }
  if (body === null || typeof body !== "object")
    return fail(res, 400, "the body must be an object");
  const contentType = String(req.headers["content-type"] ?? "").split(";")[0];
  const manager = managerOf(req, q);

  if (method === "PATCH" && contentType === "application/apply-patch+yaml") {
    if (!name) return fail(res, 405, "apply needs a name");
    if (!q.get("fieldManager")) {
      return fail(
        res,
        422,
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        "Invalid",
      );
    }
    if (body.kind !== def.kind || body.apiVersion !== gv(def)) {
      return fail(
        res,
        400,
        `the body kind ${body.apiVersion}/${body.kind} does not match ${gv(def)}/${def.kind}`,
      );
    }
    if (body.metadata?.name !== name)
      return fail(res, 400, "the name of the object does not match the URL");
    if (
      existing &&
      body.metadata?.resourceVersion &&
      body.metadata.resourceVersion !== existing.metadata.resourceVersion
    ) {
      return fail(
        res,
        409,
        `Operation cannot be fulfilled on ${def.name} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const owners: Ownership = existing ? c.ownership(existing.metadata.uid) : new Map();
    const out = apply(existing, body, owners, manager, q.get("force") === "true");
    if ("conflicts" in out) {
      const n = out.conflicts.length;
      const lines = out.conflicts.map((x) => `conflict with "${x.manager}": ${showPath(x.path)}`);
      return fail(
        res,
        409,
        `Apply failed with ${n} conflict${n === 1 ? "" : "s"}: ${lines.join(", ")}`,
        "Conflict",
        {
          causes: out.conflicts.map((x) => ({
            type: "FieldManagerConflict",
            message: `conflict with "${x.manager}"`,
            field: showPath(x.path),
          })),
        },
      );
    }
    const next = { ...out.object, metadata: { ...out.object.metadata } };
    return json(res, existing ? 200 : 201, store(c, t, existing, next, owners));
  }

  if (method === "POST") {
    if (name) return fail(res, 405, "POST goes to the collection");
    const objName =
      body.metadata?.name ??
      (body.metadata?.generateName
        ? `${body.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`
        : undefined);
    if (!objName)
      return fail(
        res,
        422,
        `${def.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        "Invalid",
      );
    if (c.store.get(def.name, ns, objName)) {
      return fail(res, 409, `${def.name} "${objName}" already exists`, "AlreadyExists", {
        name: objName,
        kind: def.name,
      });
    }
    body.metadata = { ...body.metadata, name: objName };
    const owners: Ownership = new Map();
    recordUpdate({}, body, owners, manager);
    return json(res, 201, store(c, t, undefined, body, owners));
  }

  if (!existing) return notFound();
  let next: any;
  if (method === "PUT") {
    if (
      body.metadata?.resourceVersion &&
      body.metadata.resourceVersion !== existing.metadata.resourceVersion
    ) {
      return fail(
        res,
        409,
        `Operation cannot be fulfilled on ${def.name} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    next = body;
  } else if (method === "PATCH") {
    if (contentType === "application/json-patch+json")
      return fail(res, 415, "json patches are not supported by the fake");
    next = mergePatch(existing, body);
  } else return fail(res, 405, `${method} is not allowed`);
  next.metadata = { ...next.metadata, name };
  recordUpdate(existing, next, c.ownership(existing.metadata.uid), manager);
  return json(res, 200, store(c, t, existing, next));
}
