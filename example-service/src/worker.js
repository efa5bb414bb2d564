'use strict';

/** SQS worker: processes each message, reports the ones that failed so only those are retried. */
exports.handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    try {
      const job = JSON.parse(record.body);
      console.log(JSON.stringify({ msg: 'processed job', id: record.messageId, kind: job.kind }));
    } catch (error) {
      console.error(JSON.stringify({ msg: 'job failed', id: record.messageId, error: String(error) }));
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
