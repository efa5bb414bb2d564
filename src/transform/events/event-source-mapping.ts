/** Poll-based sources: `sqs`, `stream` (DynamoDB, Kinesis), `msk`, `kafka`, `activemq`, `rabbitmq`. */
import { show, type EventSourceModule } from './types';

export const eventSourceMapping: EventSourceModule = {
  resourceTypes: ['AWS::Lambda::EventSourceMapping'],
  describe: (logicalId, resource) => {
    const source = resource.Properties?.EventSourceArn;
    const text = source === undefined ? undefined : show(source);
    const kind = /:sqs:/.test(text ?? '')
      ? 'sqs'
      : /:dynamodb:/.test(text ?? '')
        ? 'stream (dynamodb)'
        : /:kinesis:|StreamConsumer/.test(text ?? '')
          ? 'stream (kinesis)'
          : /:kafka:/.test(text ?? '')
            ? 'msk'
            : /:mq:/.test(text ?? '')
              ? 'mq'
              : resource.Properties?.SelfManagedEventSource
                ? 'kafka'
                : 'event source mapping';
    return `${kind} ${text ?? logicalId}`;
  },
};
