/** Stand-in for @serverlessinc/sf-core/src/lib/observability/dashboard/index.js (see ../../../../README.md). */
export default async function DashboardObservabilityIntegrationService() {
  throw new Error('Dashboard observability is not available to the compatibility test.');
}
