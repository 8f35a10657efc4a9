import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeEach(() => {
  t = createTestApp({ noUsers: true });
});
afterEach(() => t.close());

const post = (token: string, email: string, password: string) =>
  t.anon("/setup", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "sec-fetch-site": "same-origin",
    },
    body: new URLSearchParams({ token, email, password }).toString(),
  });

describe("first run", () => {
  it("creates the first owner through the one-time link, then closes it", async () => {
    const token = t.setup.issue() as string;
    expect((await t.anon("/login")).status).toBe(200);
    expect(await (await t.anon("/login")).text()).toContain("setup link");
    expect((await t.anon("/setup")).status).toBe(403);
    expect((await t.anon("/setup?token=wrong")).status).toBe(403);
    const form = await t.anon(`/setup?token=${token}`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain("Create owner account");

    const weak = await post(token, "me@example.com", "short");
    expect(weak.status).toBe(422);
    expect(await weak.text()).toContain("at least 12 characters");
    expect(t.deps.repos.users.count()).toBe(0);

    const done = await post(token, "me@example.com", "a long enough passphrase");
    expect(done.status).toBe(303);
    const cookie = /berth_session=[a-z2-7]+/.exec(
      done.headers.get("set-cookie") ?? "",
    )?.[0] as string;
    const me = (await (await t.anon("/api/v1/me", { headers: { cookie } })).json()) as {
      user: { role: string };
    };
    expect(me.user.role).toBe("owner");
    // the link is spent: it neither shows the form nor creates a second owner
    expect((await t.anon(`/setup?token=${token}`)).status).toBe(302);
    expect((await post(token, "other@example.com", "a long enough passphrase")).status).toBe(303);
    expect(t.deps.repos.users.count()).toBe(1);
  });

  it("refuses a forged token", async () => {
    t.setup.issue();
    const res = await post(
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "me@example.com",
      "a long enough passphrase",
    );
    expect(res.status).toBe(403);
    expect(t.deps.repos.users.count()).toBe(0);
  });
});
