import type { ApiKey, User } from "../../domain/auth/auth-types.ts";
import type { Principal } from "../../domain/auth/permissions.ts";

export function principalOf(user: User, key?: ApiKey): Principal {
  if (!key)
    return {
      kind: "user",
      userId: user.id,
      label: user.email,
      role: user.role,
      services: user.services,
    };
  return {
    kind: "key",
    userId: user.id,
    label: `${key.prefix}… (${user.email})`,
    role: user.role,
    services: user.services,
    scope: key.scope,
    keyService: key.service,
    keyExpiresAt: key.expiresAt,
  };
}
