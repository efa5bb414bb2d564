/**
 * The bench's clock: wall time (what a user waits for) and the process's CPU time (user + system, all its threads;
 * steadier than wall time on a busy machine, where the process waits for a core), both in milliseconds.
 */
'use strict';

function now() {
  const { user, system } = process.cpuUsage();
  return { wall: Number(process.hrtime.bigint()) / 1e6, cpu: (user + system) / 1000 };
}

/** Time since `start` (from now()), added to `total` when given. */
function since(start, total = { wall: 0, cpu: 0 }) {
  const end = now();
  return { wall: total.wall + end.wall - start.wall, cpu: total.cpu + end.cpu - start.cpu };
}

module.exports = { now, since };
