/** Lock-file paths (`node_modules/…`) of the installed production packages under `root`. */
export function productionModules(root: string): string[]
/** The package's own native addons (`build/Release/*.node`), relative to `root`. */
export function nativeAddons(root: string): string[]
