/** The operator token of every benchmark platform: uploads and operator pages need one, there is no open mode. */
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';
