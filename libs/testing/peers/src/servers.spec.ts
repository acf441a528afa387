import { spawn } from 'node:child_process';
import { processTree, randomLoopback, systemUser } from './servers';

describe('systemUser', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nprosody:x:108:111:Prosody XMPP Server,,,:/var/lib/prosody:/usr/sbin/nologin\n';
  it('reads uid and gid of the named user', () => {
    expect(systemUser('prosody', passwd)).toEqual({ uid: 108, gid: 111 });
    expect(systemUser('ejabberd', passwd)).toBeUndefined();
  });
});

describe('processTree', () => {
  it('contains the process and its children', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      const tree = processTree(process.pid);
      expect(tree[0]).toBe(process.pid);
      expect(tree).toContain(child.pid);
      expect(processTree(child.pid!)).not.toContain(process.pid);
    } finally {
      child.kill();
    }
  });
});

describe('randomLoopback', () => {
  it('is a 127/8 address other than 127.0.0.1, each octet 1–254', () => {
    for (let i = 0; i < 200; i++) {
      const a = randomLoopback();
      expect(a).toMatch(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
      expect(a.split('.').slice(1).map(Number).every((o) => o >= 1 && o <= 254)).toBe(true);
      expect(a).not.toBe('127.0.0.1');
    }
  });
});
