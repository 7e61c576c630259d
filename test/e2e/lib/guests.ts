// The guests the suite boots, one per test file (test/e2e/debian-12.test.ts, debian-13.test.ts).
export interface Guest {
  /** Names the results: .cache/e2e/NAME/ and .cache/e2e-results-NAME.json. */
  name: string
  /** The Debian suite debootstrap installs, from the host's mirror. */
  suite: string
  /** The systemd major version that suite ships; the suite checks the guest runs it. */
  systemd: number
  /** Debian packages baked into the image besides the base set: the guest has no network. */
  packages: string[]
  /** The node the units run. */
  node: string
  /** Whether the payload disk brings the host's own node as /usr/local/bin/node. */
  hostNode: boolean
}

export const DEBIAN_12: Guest = {
  name: 'debian-12', suite: 'bookworm', systemd: 252, packages: [], node: '/usr/local/bin/node', hostNode: true,
}

// What a user of Debian 13 has: Debian's own nodejs package (20.19), not a copy of ours.
export const DEBIAN_13: Guest = {
  name: 'debian-13', suite: 'trixie', systemd: 257, packages: ['nodejs'], node: '/usr/bin/node', hostNode: false,
}
