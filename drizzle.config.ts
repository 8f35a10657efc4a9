import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  // the containers tables live in schema/ (the per-capability layout of issue 8)
  schema: ["./src/db/schema.ts", "./src/db/schema/containers.ts"],
  out: "./drizzle",
});
