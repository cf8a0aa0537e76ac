/** The gateway's version, reported in `Query.gateway` and in logs. Kept in step with package.json. */
export const VERSION = '0.1.0';
