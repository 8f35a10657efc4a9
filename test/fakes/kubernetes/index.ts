export type { FakeOptions } from "./cluster.ts";
export { behaviourOf, imageId } from "./pods.ts";
export { type FakeKube, startFakeKube } from "./server.ts";
