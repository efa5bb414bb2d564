/**
 * `cloudFront` (Lambda@Edge). CloudFront runs a published version, never an alias, and replicates it to every edge
 * location at once: CodeDeploy cannot shift its traffic. The bypass check stops such a function with this hint.
 */
import type { EventSourceModule } from './types';

export const cloudFront: EventSourceModule = {
  resourceTypes: ['AWS::CloudFront::Distribution'],
  describe: (logicalId) => `cloudFront distribution ${logicalId}`,
  bypassHint:
    'Lambda@Edge runs a published version, never an alias, so CodeDeploy cannot shift its traffic: set ' +
    'deploymentSettings.enabled: false for this function (CloudFront replicates each new version itself)',
};
