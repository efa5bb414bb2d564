/** Stand-in for @serverlessinc/sf-core/src/lib/observability/index.js (see ../../../README.md). */
export const ObservabilityProvider = Object.freeze({ AXIOM: 'axiom', DASHBOARD: 'dashboard', DISABLED: 'disabled' });
