import { describe, expect, it } from "vitest";
import {
  isQuantity,
  parseImageRef,
  pinImage,
  validateContainerInput,
} from "../../src/domain/containers/containers.ts";
import { rolloutStatus } from "../../src/domain/containers/rollout.ts";
import { DomainError } from "../../src/domain/errors.ts";

const fieldOf = (body: unknown) => {
  try {
    validateContainerInput(body);
    return "none";
  } catch (err) {
    return err instanceof DomainError ? err.field : "not a domain error";
  }
};

describe("container spec", () => {
  it("reads image references by the distribution grammar", () => {
    expect(parseImageRef("nginx")).toEqual({ name: "nginx", tag: null, digest: null });
    expect(parseImageRef("registry.example.com:5000/team/app:1.2.3")?.tag).toBe("1.2.3");
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseImageRef(`ghcr.io/a/b@${digest}`)?.digest).toBe(digest);
    for (const bad of ["", "App", "app:", "app@sha256:xyz", "-app", "a//b", "app:tag with space"]) {
      expect(parseImageRef(bad), bad).toBeNull();
    }
    expect(pinImage("ghcr.io/a/b:1", digest)).toBe(`ghcr.io/a/b@${digest}`);
  });

  it("accepts Kubernetes quantities only", () => {
    for (const ok of ["1", "500m", "1.5Gi", "2e3", "0.5", "128Mi", "1k"])
      expect(isQuantity(ok), ok).toBe(true);
    for (const bad of ["1.5Gx", "Gi", "1 Gi", "ten", "1.2.3"])
      expect(isQuantity(bad), bad).toBe(false);
  });

  it("names the field of each invalid input", () => {
    const base = { image: "example.com/app:1", port: 8080 };
    expect(fieldOf(base)).toBe("none");
    expect(fieldOf({ ...base, image: "Bad Image" })).toBe("image");
    expect(fieldOf({ ...base, port: 70000 })).toBe("port");
    expect(fieldOf({ ...base, env: { "1X": "a" } })).toBe("env.1X");
    expect(fieldOf({ ...base, secretEnv: { "A-B": "a" } })).toBe("secretEnv.A-B");
    expect(fieldOf({ ...base, resources: { limits: { memory: "1.5Gx" } } })).toBe(
      "resources.limits.memory",
    );
    expect(fieldOf({ ...base, readinessProbe: { periodSeconds: 5 } })).toBe("readinessProbe");
    expect(fieldOf({ ...base, livenessProbe: { httpGet: { path: "x" } } })).toBe(
      "livenessProbe.httpGet.path",
    );
    expect(fieldOf({ ...base, replicas: -1 })).toBe("replicas");
  });

  it("keeps secret values out of the spec", () => {
    const { spec, secrets } = validateContainerInput({
      image: "app:1",
      env: { MODE: "prod" },
      secretEnv: { TOKEN: "s3cret" },
      readinessProbe: { httpGet: { path: "/healthz" } },
    });
    expect(JSON.stringify(spec)).not.toContain("s3cret");
    expect(secrets.secretEnv).toEqual({ TOKEN: "s3cret" });
    expect(spec.readinessProbe?.httpGet).toEqual({ path: "/healthz", port: 8080 });
  });
});

describe("rollout status (kubectl's rule)", () => {
  const d = {
    generation: 2,
    observedGeneration: 2,
    replicas: 2,
    statusReplicas: 2,
    updatedReplicas: 2,
    availableReplicas: 2,
    progressingReason: null,
  };
  it("is done only when everything caught up", () => {
    expect(rolloutStatus(d).done).toBe(true);
    expect(rolloutStatus({ ...d, observedGeneration: 1 }).done).toBe(false);
    expect(rolloutStatus({ ...d, updatedReplicas: 1 }).done).toBe(false);
    expect(rolloutStatus({ ...d, statusReplicas: 3 }).done).toBe(false);
    expect(rolloutStatus({ ...d, availableReplicas: 1 }).done).toBe(false);
    expect(
      rolloutStatus({ ...d, availableReplicas: 1, progressingReason: "ProgressDeadlineExceeded" }),
    ).toMatchObject({ failed: true });
  });
});
