/** `cognitoUserPool`: triggers of pools the framework creates. Existing pools are in framework-custom-resources.ts. */
import { show, type EventSourceModule } from './types';

export const cognito: EventSourceModule = {
  resourceTypes: ['AWS::Cognito::UserPool'],
  describe: (logicalId, resource) =>
    `cognitoUserPool ${resource.Properties?.UserPoolName !== undefined ? show(resource.Properties.UserPoolName) : logicalId}`,
};
