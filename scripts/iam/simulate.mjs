// Evaluates AWS requests against IAM policies with @cloud-copilot/iam-simulate (an offline
// evaluator of AWS's policy language, conditions and context keys included). A development tool
// of `make test` (scripts/iam/check.py drives it), installed into .local/iam, never shipped.
//
// stdin: a JSON array of cases {policies: [{name, policy}], resourcePolicy?, action, resource,
// context}; stdout: a JSON array, one {decision, errors?} per case, in order.
import { createRequire } from 'node:module'
import { join } from 'node:path'

// installed by scripts/lib.sh (ensure_iam_simulate) into the folder IAM_SIMULATE_MODULES names
const modules = process.env.IAM_SIMULATE_MODULES
if (!modules) throw new Error('IAM_SIMULATE_MODULES names no node_modules folder')
const { runSimulation } = createRequire(join(modules, 'here.js'))('@cloud-copilot/iam-simulate')

const ACCOUNT = '123456789012'
const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const answers = []
for (const c of cases) {
  const response = await runSimulation(
    {
      identityPolicies: c.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: c.resourcePolicy,
      request: {
        action: c.action,
        principal: c.principal ?? `arn:aws:iam::${ACCOUNT}:role/function-role`,
        resource: { accountId: ACCOUNT, resource: c.resource },
        contextVariables: c.context ?? {},
      },
    },
    {},
  )
  if (response.resultType === 'error') {
    answers.push({ decision: 'Error', errors: response.errors })
  } else {
    answers.push({ decision: response.overallResult })
  }
}
process.stdout.write(JSON.stringify(answers))
