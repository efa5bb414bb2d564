/** Stand-in for @serverlessinc/sf-core/src/lib/observability/axiom/index.js (see ../../../../README.md). */
const unavailable = async () => {
  throw new Error('Axiom observability is not available to the compatibility test.');
};
export const getLambdaConfigs = unavailable;
export const subscribeLogGroups = unavailable;
export const validateAndGetToken = unavailable;
export const unsubscribeLogGroups = unavailable;
export const initialize = unavailable;
