/** Lock-file paths (`node_modules/…`) of the installed production packages under `root`. */
export function productionModules(root: string): string[]
