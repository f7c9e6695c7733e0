/** The package version, written into bundles' meta.generator. Keep in step with package.json. */
export const VERSION = '0.1.0';
