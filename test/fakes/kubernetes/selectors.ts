// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
/**
 * Label and field selectors as the API server reads them: equality (`=`, `==`, `!=`) and
 * set-based (`in`, `notin`, `key`, `!key`) requirements, joined by commas.
 */
export type Matcher = (obj: any) => boolean;

type Req = {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!exists";
  values: string[];
};

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((p) => p.trim()).filter(Boolean);
}

export function parseLabelSelector(s: string | null): Req[] {
  if (!s) return [];
  return splitTop(s).map((part) => {
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = (set[3] ?? "").split(",").map((v) => v.trim());
      return { key: set[1] ?? "", op: set[2] as "in" | "notin", values };
    }
    const eq = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(part);
    if (eq) {
      return { key: eq[1] ?? "", op: eq[2] === "!=" ? "!=" : "=", values: [eq[3] ?? ""] };
    }
    if (part.startsWith("!")) return { key: part.slice(1), op: "!exists", values: [] };
    if (/^[\w./-]+$/.test(part)) return { key: part, op: "exists", values: [] };
    throw new Error(`unable to parse requirement: ${part}`);
  });
}

function test(reqs: Req[], get: (key: string) => string | undefined): boolean {
  return reqs.every((r) => {
    const v = get(r.key);
    switch (r.op) {
      case "=":
        return v === r.values[0];
      case "!=":
        return v !== r.values[0];
      case "in":
        return v !== undefined && r.values.includes(v);
      case "notin":
        return v === undefined || !r.values.includes(v);
      case "exists":
        return v !== undefined;
      case "!exists":
        return v === undefined;
    }
    return false;
  });
}

/** Field paths the fake supports, as the API server does per resource. */
function field(obj: any, path: string): string | undefined {
  let cur = obj;
  for (const part of path.split(".")) {
    if (cur == null) return undefined;
    cur = cur[part];
  }
  return cur == null ? undefined : String(cur);
}

export function matcher(labelSelector: string | null, fieldSelector: string | null): Matcher {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseLabelSelector(fieldSelector);
  return (obj) =>
    test(labels, (k) => obj.metadata?.labels?.[k]) && test(fields, (k) => field(obj, k));
}
