// Types for the tests that run the generated launcher.
export const LOADER_SOURCE: string
export function LAUNCHER_SOURCE(options: { node: string; check: 'link' | 'stat' | 'none' }): string
