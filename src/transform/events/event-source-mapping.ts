/** Poll-based sources: `sqs`, `stream` (DynamoDB, Kinesis), `msk`, `kafka`, `activemq`, `rabbitmq`. */
import { getAttTarget, refTarget } from '../intrinsics';
import { show, type EventSourceModule } from './types';

/** The kind of source, from its ARN or, for a resource of the template, from its type. */
const KINDS: [RegExp, string][] = [
  [/:sqs:|^AWS::SQS::Queue$/, 'sqs'],
  [/:dynamodb:|^AWS::DynamoDB::(Global)?Table$/, 'stream (dynamodb)'],
  [/:kinesis:|^AWS::Kinesis::(Stream|StreamConsumer)$/, 'stream (kinesis)'],
  [/:kafka:|^AWS::MSK::/, 'msk'],
  [/:mq:|^AWS::AmazonMQ::/, 'mq'],
];

export const eventSourceMapping: EventSourceModule = {
  resourceTypes: ['AWS::Lambda::EventSourceMapping'],
  describe: (logicalId, resource, template) => {
    const source = resource.Properties?.EventSourceArn;
    if (source === undefined)
      return resource.Properties?.SelfManagedEventSource ? `kafka ${logicalId}` : `event source mapping ${logicalId}`;
    const sourceId =
      getAttTarget(source, 'Arn') ??
      getAttTarget(source, 'StreamArn') ??
      getAttTarget(source, 'ConsumerARN') ??
      refTarget(source);
    const evidence = sourceId !== undefined ? (template.Resources[sourceId]?.Type ?? show(source)) : show(source);
    const kind = KINDS.find(([pattern]) => pattern.test(evidence))?.[1] ?? 'event source mapping';
    return `${kind} ${show(source)}`;
  },
};
