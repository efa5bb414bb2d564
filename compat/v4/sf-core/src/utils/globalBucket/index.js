/** Stand-in for @serverlessinc/sf-core/src/utils/globalBucket/index.js (see ../../../README.md): an AWS call. */
export async function getOrCreateGlobalDeploymentBucket() {
  throw new Error('The global deployment bucket is looked up in AWS: not available to the compatibility test.');
}
