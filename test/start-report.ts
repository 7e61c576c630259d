import t from 'tap'
import { markStart, startReport } from '../src/start-report.js'

t.test('plain modules unless a loader said otherwise, with its reason', async (t) => {
  t.same(startReport(), { start: 'modules' })
  markStart('bundle', 'code cache rejected')
  t.same(startReport(), { start: 'bundle', reason: 'code cache rejected' })
  markStart('snapshot')
  t.same(startReport(), { start: 'snapshot' })
})
