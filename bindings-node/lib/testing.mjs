// ESM entry of rmq/testing.
import testing from './testing.cjs';

export const { MiniBroker, MiniCluster, useMiniBroker } = testing;
export default testing;
