// Host-side HTTP clients for the guest's forwarded ports.
import http from 'node:http'
import net from 'node:net'

export interface Reply { status: number, headers: http.IncomingHttpHeaders, body: string }

export function get(port: number, path: string, agent: http.Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 30_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timed out after 30 s')))
    req.on('error', reject)
  })
}

/** Writes `request` on a fresh connection and returns every byte the server sent until it closed. */
export function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(request))
    let data = ''
    socket.setEncoding('latin1').on('data', (d: string) => { data += d })
    socket.setTimeout(30_000, () => socket.destroy(new Error('no close within 30 s')))
    socket.on('error', reject)
    socket.on('close', () => resolve(data))
  })
}

export interface LoadTally { ok: number, failed: number, errors: string[] }

/**
 * Bursts of requests; between bursts `pause(cycle)` waits as long as the test wants
 * (past the idle timeout, or just up to the moment the service exits) and says whether to go on.
 * Half the workers keep their connections alive, half open a new one per request.
 */
export async function burstLoad(port: number, pause: (cycle: number) => Promise<boolean>): Promise<LoadTally> {
  const tally: LoadTally = { ok: 0, failed: 0, errors: [] }
  const keepAlive = new http.Agent({ keepAlive: true })
  const one = async (agent: http.Agent | false): Promise<void> => {
    try {
      const reply = await get(port, '/roll?dice=2d6', agent)
      if (reply.status === 200 && /"result":\d+/.test(reply.body)) tally.ok++
      else { tally.failed++; tally.errors.push(`${reply.status} ${reply.body.slice(0, 80)}`) }
    } catch (error) {
      tally.failed++
      tally.errors.push(String(error))
    }
  }
  const burst = async (): Promise<void> => {
    // 1.5 s from the first answer: the first requests wait for the service to start.
    let until = Infinity
    const worker = async (agent: http.Agent | false): Promise<void> => {
      do {
        await one(agent)
        until = Math.min(until, Date.now() + 1500)
      } while (Date.now() < until)
    }
    await Promise.all([worker(false), worker(false), worker(keepAlive), worker(keepAlive)])
  }
  let cycle = 0
  do await burst(); while (await pause(cycle++))
  keepAlive.destroy()
  return tally
}
