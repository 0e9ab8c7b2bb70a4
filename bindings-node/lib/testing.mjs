// ESM entry of rmq/testing.
import testing from './testing.cjs';

export const { MiniBroker, useMiniBroker } = testing;
export default testing;
