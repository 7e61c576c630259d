// What the suite does inside the guest: put node, npm and the project there, and read
// systemd's own state.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { nativeAddons, productionModules } from '../../../scripts/production-modules.mjs'
import type { Guest } from './guests.js'
import type { Vm } from './vm.js'

export const REPO = path.resolve(import.meta.dirname, '../../..')
export const GUEST_SRC = '/usr/local/src/diceroll'
export const PREFIX = '/opt/diceroll'
/** The documented install command, run from the project directory. */
export const INSTALL = `npm run install-units -- --prefix ${PREFIX}`
/** The install as a user of `guest` types it: with the node the units are to run. */
export const installCommand = (guest: Guest): string => guest.hostNode ? INSTALL : `${INSTALL} --node ${guest.node}`
/** Back to the release installed before the last install, as docs/deployment.md says. */
export const ROLLBACK = `${PREFIX}/diceroll-release rollback`
export const UNINSTALL = `npm run uninstall-units -- --prefix ${PREFIX}`

/**
 * A second disk, mounted as the guest's /usr/local: npm, the host's node unless the guest has its
 * own (as a user's host would have them), and the built project. `mkfs.ext4 -d` makes it in a
 * few seconds; streaming the same files over ssh into the emulated guest took 20 s.
 */
export function buildPayload(dir: string, guest: Guest): string {
  const root = path.join(dir, 'payload')
  fs.rmSync(root, { recursive: true, force: true })
  const node = fs.realpathSync(process.execPath)
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true })
  if (guest.hostNode) fs.copyFileSync(node, path.join(root, 'bin/node'))
  fs.cpSync(fs.realpathSync(path.join(path.dirname(node), '../lib/node_modules/npm')), path.join(root, 'lib/node_modules/npm'), { recursive: true })
  fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'bin/npm'))
  const project = ['package.json', 'package-lock.json', 'dist', 'units', 'scripts', 'docs', 'test/e2e/guest', 'bench/servers/bare-http.cjs', ...nativeAddons(REPO), ...productionModules(REPO)]
  for (const rel of project.filter((f) => fs.existsSync(path.join(REPO, f)))) {
    const nested = path.join(REPO, rel, 'node_modules')
    fs.cpSync(path.join(REPO, rel), path.join(root, 'src/diceroll', rel), { recursive: true, filter: (p) => p !== nested })
  }
  const disk = path.join(dir, 'payload.raw')
  fs.rmSync(disk, { force: true })
  const mkfs = spawnSync('mkfs.ext4', ['-q', '-F', '-d', root, disk, '512M'], { encoding: 'utf8' })
  if (mkfs.status !== 0) throw new Error(`mkfs.ext4 payload: ${mkfs.stderr}`)
  fs.rmSync(root, { recursive: true, force: true })
  return disk
}

/** Mounts the payload disk on the guest's /usr/local, read-only: node, npm, the project source. */
export async function mountPayload(vm: Vm): Promise<void> {
  await vm.sh('mount -o ro /dev/vdb /usr/local')
}

/** `systemctl show` as an object: `await show(vm, 'diceroll.service', 'MainPID', 'ActiveState')`. */
export async function show(vm: Vm, unit: string, ...props: string[]): Promise<Record<string, string>> {
  const out = await vm.sh(`systemctl show ${unit} ${props.map((p) => `-p ${p}`).join(' ')}`)
  return Object.fromEntries(out.split('\n').map((line) => {
    const at = line.indexOf('=')
    return [line.slice(0, at), line.slice(at + 1)]
  }))
}

/** Where the journal ends now; pass it to journalAfter() to read only what comes later. */
export async function journalCursor(vm: Vm): Promise<string> {
  const out = await vm.sh('journalctl -n 0 --show-cursor --no-pager')
  const cursor = /^-- cursor: (.+)$/m.exec(out)?.[1]
  if (!cursor) throw new Error(`no journal cursor in: ${out}`)
  return cursor
}

/** One journal entry as `journalctl -o json` prints it: the fields asked for, and its timestamps. */
export interface JournalEntry {
  __CURSOR: string
  __REALTIME_TIMESTAMP: string
  /** journald stores a message that is not valid UTF-8 as an array of bytes: text here. */
  MESSAGE: string
  [field: string]: unknown
}

/**
 * The journal entries that match `filter` (journalctl options, e.g. `-u 'diceroll*' -p warning`)
 * and were stored after `cursor`, with `fields` besides MESSAGE.
 *
 * Not `--after-cursor`: before systemd 255, with a filter whose matches do not include the
 * cursor's own entry, it skips the first entry that does match (systemd#30288, fixed by
 * systemd#30336): on Debian 12 that hid exactly the line a check looked for. `--cursor` starts
 * at the cursor's entry, or at the first match after it, on every version; the cursor's own
 * entry is dropped here by its `__CURSOR`.
 */
export async function journalEntries(vm: Vm, cursor: string, filter: string, fields: string[] = []): Promise<JournalEntry[]> {
  const out = await vm.sh(`journalctl ${filter} --cursor '${cursor}' -o json --output-fields=${['MESSAGE', ...fields].join(',')} --no-pager`)
  return out.split('\n').filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.__CURSOR !== cursor)
    .map((entry) => ({ ...entry, MESSAGE: Array.isArray(entry.MESSAGE) ? Buffer.from(entry.MESSAGE as number[]).toString() : String(entry.MESSAGE ?? '') }) as JournalEntry)
}

/** The messages of journalEntries(), one per line. */
export async function journalAfter(vm: Vm, cursor: string, filter: string): Promise<string> {
  return (await journalEntries(vm, cursor, filter)).map((entry) => entry.MESSAGE).join('\n')
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
