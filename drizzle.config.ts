import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: ["./src/db/schema.ts", "./src/db/schema/reports.ts", "./src/db/schema/usage.ts"],
  out: "./drizzle",
});
