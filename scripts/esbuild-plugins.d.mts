// Types for the tests that build with these plugins.
import type { Plugin } from 'esbuild'

export function lazyBuiltins(names: string[]): Plugin
export function noDepd(): Plugin
export function lazyModules(names: string[], exportNames?: Record<string, string[]>, sideFile?: string): Plugin
export function sideBundleSource(names: string[]): string
export const TO_SORTED_POLYFILL: string
