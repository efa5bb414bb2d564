/** `s3`: notifications of buckets the framework creates. Existing buckets are in framework-custom-resources.ts. */
import { show, type EventSourceModule } from './types';

export const s3: EventSourceModule = {
  resourceTypes: ['AWS::S3::Bucket'],
  describe: (logicalId, resource) =>
    `s3 ${resource.Properties?.BucketName !== undefined ? show(resource.Properties.BucketName) : logicalId}`,
};
