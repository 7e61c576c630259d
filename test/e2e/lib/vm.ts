// One Debian VM with systemd as PID 1: built (cached) by vm/image.sh, booted under QEMU,
// driven over one multiplexed ssh connection through a loopback port forward.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Guest } from './guests.js'
import { step } from './progress.js'

const VM_DIR = path.resolve(import.meta.dirname, '../vm')

export interface Result { code: number, stdout: string, stderr: string }

/** Runs a host script; its stderr (progress) goes to ours. Throws on failure. */
function runScript(script: string, ...args: string[]): string {
  const r = spawnSync(path.join(VM_DIR, script), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status ?? r.signal})`)
  return r.stdout.trim()
}

export function prepareHost(guest: Guest): string {
  runScript('host-deps.sh')
  return runScript('image.sh', guest.suite, guest.packages.join(','))
}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

// /dev/kvm exists here but cannot boot a kernel when the CPU lacks vmx/svm.
function canUseKvm(): boolean {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK)
    return /\b(vmx|svm)\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'))
  } catch { return false }
}

export class Vm {
  readonly ports: Record<number, number> = {}
  private qemu?: ChildProcess
  private readonly control = fs.mkdtempSync(path.join(os.tmpdir(), 'diceroll-e2e-'))

  constructor(private readonly image: string, private readonly payload: string,
    private readonly consoleLog: string, guestPorts: number[]) {
    for (const p of [22, ...guestPorts]) this.ports[p] = 0
  }

  /** Boots and waits for ssh; returns the seconds it took. */
  async boot(): Promise<number> {
    for (const guest of Object.keys(this.ports)) this.ports[Number(guest)] = await freePort()
    // TCG twice: a Debian 13 guest's kernel once panicked 12 s into boot under emulation
    // (kmem_cache_free, before any of our code ran), and the next boot of the same image was fine.
    const accels = canUseKvm() ? ['kvm', 'tcg', 'tcg'] : ['tcg', 'tcg']
    for (const accel of accels) {
      const started = Date.now()
      this.start(accel)
      if (await this.waitForSsh(accel === 'kvm' ? 90 : 600)) return (Date.now() - started) / 1000
      step(`no ssh under -accel ${accel}`)
      await this.kill()
    }
    throw new Error(`the VM did not answer on ssh; see ${this.consoleLog}`)
  }

  private start(accel: string): void {
    const forwards = Object.entries(this.ports).map(([guest, host]) => `hostfwd=tcp:127.0.0.1:${host}-:${guest}`)
    const args = [
      // -cpu max has memory protection keys (pku), so the units' @pkey exception for V8 is tested.
      '-accel', accel, '-cpu', 'max', '-smp', '2', '-m', '3072',
      '-kernel', path.join(this.image, 'vmlinuz'), '-initrd', path.join(this.image, 'initrd.img'),
      '-append', 'console=ttyS0 root=/dev/vda rw',
      // -snapshot: writes go to a temporary overlay, so the cached image stays pristine.
      '-drive', `file=${path.join(this.image, 'disk.raw')},format=raw,if=virtio`, '-snapshot',
      '-drive', `file=${this.payload},format=raw,if=virtio,readonly=on`,
      '-netdev', `user,id=n0,restrict=on,${forwards.join(',')}`, '-device', 'virtio-net-pci,netdev=n0',
      '-serial', `file:${this.consoleLog}`, '-display', 'none', '-monitor', 'none', '-no-reboot',
    ]
    step(`boot: qemu -accel ${accel}, ssh on 127.0.0.1:${this.ports[22]}`)
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'inherit'] })
    // Should the suite die (a tap timeout, ^C) before halt(), take the VM with it.
    const orphan = (): void => { qemu.kill('SIGKILL') }
    process.once('exit', orphan)
    qemu.once('exit', () => process.off('exit', orphan))
    this.qemu = qemu
  }

  private async waitForSsh(seconds: number): Promise<boolean> {
    const deadline = Date.now() + seconds * 1000
    while (Date.now() < deadline && this.qemu?.exitCode === null) {
      if ((await this.ssh('true', { connectTimeout: 5 })).code === 0) return true
      await sleep(1000)
    }
    return false
  }

  private sshArgs(connectTimeout: number): string[] {
    return [
      '-i', path.join(this.image, 'id_ed25519'), '-p', String(this.ports[22]),
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${connectTimeout}`,
      // Each new ssh connection costs 1-2 s under emulation: share one.
      '-o', 'ControlMaster=auto', '-o', `ControlPath=${this.control}/cm`, '-o', 'ControlPersist=600',
      'root@127.0.0.1',
    ]
  }

  /** Runs a shell command in the guest as root. */
  ssh(command: string, opts: { input?: NodeJS.ReadableStream, connectTimeout?: number } = {}): Promise<Result> {
    const child = spawn('ssh', [...this.sshArgs(opts.connectTimeout ?? 30), command], {
      stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    })
    if (opts.input && child.stdin) opts.input.pipe(child.stdin)
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })))
  }

  /** Like ssh(), but throws with the output when the command fails; returns trimmed stdout. */
  async sh(command: string): Promise<string> {
    const r = await this.ssh(command)
    if (r.code !== 0) throw new Error(`guest command failed (exit ${r.code}): ${command}\n${r.stdout}${r.stderr}`)
    return r.stdout.trim()
  }

  async halt(journalFile: string): Promise<void> {
    if (this.qemu?.exitCode === null) {
      const journal = await this.ssh('journalctl -b --no-pager -o short-precise')
      fs.writeFileSync(journalFile, journal.stdout)
      await this.ssh('systemctl poweroff')
      await Promise.race([new Promise((resolve) => this.qemu?.once('exit', resolve)), sleep(20_000)])
    }
    await this.kill()
    spawnSync('ssh', ['-O', 'exit', '-o', `ControlPath=${this.control}/cm`, 'x'], { stdio: 'ignore' })
    fs.rmSync(this.control, { recursive: true, force: true })
  }

  private async kill(): Promise<void> {
    const qemu = this.qemu
    if (!qemu || qemu.exitCode !== null || qemu.signalCode !== null) return
    const exited = new Promise((resolve) => qemu.once('exit', resolve))
    qemu.kill('SIGTERM')
    await exited
  }
}
