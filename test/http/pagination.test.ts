import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTx } from "../../src/db/client.ts";
import { createApiKey } from "../../src/services/auth/api-keys.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
const names = Array.from({ length: 130 }, (_, i) => `svc-${String(i).padStart(3, "0")}`);

beforeAll(() => {
  t = createTestApp();
  writeTx(t.deps.db, (tx) => {
    for (const name of names)
      t.deps.repos.services.insert(tx, {
        name,
        kind: "static",
        environments: ["production"],
        retention: 10,
      });
  });
});
afterAll(() => t.close());

type Page = { items: { name: string }[]; nextCursor: string | null };
const page = async (query: string, key = t.key): Promise<Page> => {
  const res = await t.anon(`/api/v1/services${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
};

describe("lists come a page at a time", () => {
  it("honours limit and walks every service by cursor, each once", async () => {
    const first = await page("?limit=5");
    expect(first.items.map((s) => s.name)).toEqual(names.slice(0, 5));
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const p: Page = await page(`?limit=40${cursor ? `&after=${cursor}` : ""}`);
      seen.push(...p.items.map((s) => s.name));
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(names);
    expect((await page("")).items).toHaveLength(100);
  });

  it("searches by name and shows a limited key only its own service", async () => {
    expect((await page("?q=svc-12")).items.map((s) => s.name)).toEqual(
      names.filter((n) => n.includes("svc-12")),
    );
    const owner = t.deps.repos.users.byEmail("owner@example.com");
    if (!owner) throw new Error("no owner");
    const limited = createApiKey(t.deps, owner, {
      name: "l",
      scope: "read",
      service: "svc-007",
    }).key;
    expect((await page("", limited)).items.map((s) => s.name)).toEqual(["svc-007"]);
    const bad = await t.request("/api/v1/services?limit=100000");
    expect(bad.status).toBe(400);
  });

  it("the dashboard shows one page of the board with a search box and a link to the next", async () => {
    const html = await (await t.request("/?per=50")).text();
    expect(html).toContain('id="board-svc-049-production"');
    expect(html).not.toContain('id="board-svc-050-production"');
    expect(html).toContain("page=2");
    expect(html).toContain('name="q"');
    const next = await (await t.request("/?per=50&page=2")).text();
    expect(next).toContain('id="board-svc-050-production"');
    expect(next).not.toContain('id="board-svc-049-production"');
    const found = await (await t.request("/?q=svc-12")).text();
    expect(found).toContain('id="board-svc-120-production"');
    expect(found).not.toContain('id="board-svc-001-production"');
  });
});
