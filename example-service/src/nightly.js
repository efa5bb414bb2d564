'use strict';

/** Nightly job (03:00 UTC): a placeholder for a cleanup or report run. */
exports.handler = async (event) => {
  const startedAt = new Date().toISOString();
  console.log(JSON.stringify({ msg: 'nightly run', startedAt, scheduledFor: event && event.time }));
  return { ok: true, startedAt };
};
