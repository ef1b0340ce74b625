export * from './outbound.errors';
export { AllowList, blockedAddressReason, HOSTNAME_PATTERN, normalizeHost } from './address.policy';
export * from './ssrf.guard';
export * from './guarded-fetch.client';
export * from './webhook.signing';
export * from './qiniu-callback.signing';
export * from './webhook.deliverer';
export * from './retry.schedule';
