// What the suite does inside the guest: put node, npm and the project there, and read
// systemd's own state.
import fs from 'node:fs'
import path from 'node:path'
import { productionModules } from '../../../scripts/production-modules.mjs'
import type { Vm } from './vm.js'

export const REPO = path.resolve(import.meta.dirname, '../../..')
export const GUEST_SRC = '/usr/local/src/diceroll'
export const PREFIX = '/opt/diceroll'
/** The documented install command, run from the project directory. */
export const INSTALL = `npm run install-units -- --prefix ${PREFIX}`
export const UNINSTALL = `npm run uninstall-units -- --prefix ${PREFIX}`

/** The host's node and npm (as a user's host would have them), and the built project. */
export async function pushNodeAndProject(vm: Vm): Promise<void> {
  const node = fs.realpathSync(process.execPath)
  const npmDir = fs.realpathSync(path.join(path.dirname(node), '../lib/node_modules/npm'))
  await vm.pushTar(['-C', path.dirname(node), path.basename(node)], '/usr/local/bin')
  await vm.pushTar(['-C', path.dirname(npmDir), 'npm'], '/usr/local/lib/node_modules')
  await vm.sh('ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm')
  const files = ['package.json', 'package-lock.json', 'dist', 'units', 'scripts', 'docs', 'test/e2e/guest']
    .filter((f) => fs.existsSync(path.join(REPO, f)))
  await vm.pushTar(['-C', REPO, ...files, ...productionModules(REPO)], GUEST_SRC)
}

/** `systemctl show` as an object: `await show(vm, 'diceroll.service', 'MainPID', 'ActiveState')`. */
export async function show(vm: Vm, unit: string, ...props: string[]): Promise<Record<string, string>> {
  const out = await vm.sh(`systemctl show ${unit} ${props.map((p) => `-p ${p}`).join(' ')}`)
  return Object.fromEntries(out.split('\n').map((line) => {
    const at = line.indexOf('=')
    return [line.slice(0, at), line.slice(at + 1)]
  }))
}

/** Names of loaded per-connection instances (running or not yet collected). */
export async function instances(vm: Vm): Promise<string[]> {
  const out = await vm.sh("systemctl list-units --all --plain --no-legend 'diceroll@*.service' | awk '{print $1}'")
  return out ? out.split('\n') : []
}

/** The score `systemd-analyze security` gives a unit, e.g. 0.2. */
export function exposure(output: string): number {
  const match = /Overall exposure level for \S+: (\d+\.\d+)/.exec(output)
  if (!match?.[1]) throw new Error(`no exposure level in:\n${output.slice(-500)}`)
  return Number(match[1])
}

/** Polls until `check` returns true, for at most `seconds`; returns whether it did. */
export async function waitFor(seconds: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
