// Loaded with NODE_OPTIONS=--import by `pnpm bench -- --profile`: SIGUSR2 starts a CPU
// profile, the next SIGUSR2 writes it to $BENCH_PROFILE_DIR/<name>-<pid>.cpuprofile.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    const name = (process.argv[1] ?? 'node').split('/').slice(-3).join('_').replace(/\.ts$/, '');
    writeFileSync(join(process.env.BENCH_PROFILE_DIR ?? '.', `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
