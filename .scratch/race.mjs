import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
const conc = Number(process.argv[2] ?? 5);
let fails = 0;
for (let i = 0; i < 60; i++) {
  const port = 20000 + i + Math.floor(Math.random()*1000);
  const child = spawn('nats-server', ['-a','127.0.0.1','-p',String(port),'-js','-sd',mkdtempSync('/tmp/nr-')], { stdio: ['ignore','ignore','pipe'] });
  await new Promise((r) => { let log=''; child.stderr.on('data', (c) => { log += c; if (log.includes('Server is ready')) r(); }); });
  const t = Date.now();
  const ncs = await Promise.all(Array.from({length: conc}, () => connect({ servers: `127.0.0.1:${port}` })));
  const results = await Promise.allSettled(ncs.map(async (nc) => {
    await new Kvm(nc).create('names', { history: 1 }).catch(()=>{}); const kv = await new Kvm(nc).create('meta', { history: 1 }).catch(async()=> new Kvm(nc).open('meta'));
    const step = Date.now();
    try { await kv.get('installation'); } catch (e) { throw new Error(`get after create: ${e.message} ${Date.now()-step}ms`); }
  }));
  for (const r of results) if (r.status === 'rejected') { fails++; console.log(i, r.reason.message); }
  for (const nc of ncs) await nc.close();
  child.kill(); await new Promise((r) => child.once('exit', r));
}
console.log('conc', conc, 'fails', fails);
