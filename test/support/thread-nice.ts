import fs from 'node:fs';

/** The nice value of every thread of this process, by thread id (Linux's /proc; empty elsewhere). */
export function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  const dir = `/proc/${process.pid}/task`;
  if (!fs.existsSync(dir)) return nices;
  for (const tid of fs.readdirSync(dir)) {
    let stat: string;
    try {
      stat = fs.readFileSync(`${dir}/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended while the list was read
    }
    // The command name may hold spaces: the fields after it start past the last ')'; nice is the 17th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nices.set(Number(tid), Number(fields[16]));
  }
  return nices;
}

/** How many threads of this process run at `nice`. */
export function threadsAt(nice: number): number {
  return [...threadNices().values()].filter((value) => value === nice).length;
}
