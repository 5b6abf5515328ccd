"""How the smoke run (smoke_dev.py) starts what the dev overlay describes.

ProcessRunner: the binaries of a Release build laid out as the image lays them out, each
container a process as uid 10001; PostgreSQL and Redis from this machine's packages.

ContainerRunner: the built image itself (deploy/docker/build-image.sh) with podman or docker,
each container as the manifests run it (uid 10001, read-only root filesystem with /tmp as the
emptyDir, every capability dropped, no privilege escalation, explicit ulimits), PostgreSQL and
Redis as containers of the stores image, the SIP edge from its own image (Dockerfile.sip) with
its emptyDirs as tmpfs. Every container shares the host's network, where the
smoke run has already moved the Services' addresses to loopback ports.

Both give the same handles: a Popen whose exit is the container's exit, and stop callables."""

import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
IMAGE_PREFIX = '/opt/oneinbox'
APP_UID = 10001
BUILD_TARGETS = ('oi-gateway', 'oi-provisioning', 'oi-dispatch', 'oi-carrier', 'oi-carrier-sim')


def wait_port(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(('127.0.0.1', port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


# ---- processes on this machine -----------------------------------------------------------------

def build(build_dir):
    """The Dockerfile's builder stage, on this machine."""
    cfg = ['cmake', '-S', ROOT, '-B', build_dir, '-DOI_TESTS=OFF', '-DOI_SANITIZE=OFF',
           '-DCMAKE_BUILD_TYPE=Release']
    subprocess.run(cfg, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(['cmake', '--build', build_dir, '-j2', '--target', *BUILD_TARGETS], check=True,
                   stdout=subprocess.DEVNULL)


def pg_bindir():
    try:
        d = subprocess.run(['pg_config', '--bindir'], capture_output=True, text=True).stdout.strip()
    except OSError:
        d = ''
    for cand in (d, '/usr/lib/postgresql/15/bin'):
        if cand and os.access(os.path.join(cand, 'initdb'), os.X_OK):
            return cand
    return None


def as_pg(argv):
    if os.geteuid() == 0:
        return ['runuser', '-u', 'postgres', '--'] + argv
    return argv


class ProcessRunner:
    kind = 'processes'
    sip = None  # the SIP edge runs from its image only (the container run)

    def __init__(self, build_dir, top):
        self.build_dir, self.top = build_dir, top
        self.prefix = self.entry = None

    def prepare(self):
        """Lays out top/opt/oneinbox; the problems found (missing binaries)."""
        self.prefix, self.entry, missing = self._lay_out()
        return [f'{m} missing (use --build)' for m in missing]

    def what(self):
        return f'image layout from {self.build_dir}'

    def _lay_out(self):
        top = self.top
        prefix = os.path.join(top, IMAGE_PREFIX.lstrip('/'))
        os.makedirs(os.path.join(prefix, 'bin'))
        missing = []
        for b in BUILD_TARGETS:
            src = os.path.join(self.build_dir, b)
            if not os.access(src, os.X_OK):
                missing.append(src)
                continue
            shutil.copy2(src, os.path.join(prefix, 'bin', b))
        svc_root = os.path.join(ROOT, 'services')
        for svc in sorted(os.listdir(svc_root)):
            mig = os.path.join(svc_root, svc, 'migrations')
            if os.path.isdir(mig):
                shutil.copytree(mig, os.path.join(prefix, 'services', svc, 'migrations'))
        entry = os.path.join(top, 'entrypoint.sh')
        shutil.copy2(os.path.join(ROOT, 'deploy', 'docker', 'entrypoint.sh'), entry)
        for d, dirs, files in os.walk(top):
            os.chmod(d, 0o755)
            for f in files:
                p = os.path.join(d, f)
                os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
        return prefix, entry, missing

    def start(self, name, env, container, log):
        e = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'ONEINBOX_PREFIX': self.prefix}
        e.update(env)
        args = [str(a) for a in (container.get('args') or [])]
        argv = ['/bin/sh', self.entry] + args
        if container.get('command'):
            argv = [str(a) for a in container['command']] + args
        if os.geteuid() == 0:
            argv = ['setpriv', f'--reuid={APP_UID}', f'--regid={APP_UID}', '--clear-groups', '--'] + argv
        return subprocess.Popen(argv, env=e, cwd=self.prefix, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def kill(self, name, proc):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()

    def exec_in(self, name, argv):
        return None  # the hooks' programs are this machine's own: nothing to prove

    def start_postgres(self, port, user, dbname, password, logf):
        bindir = pg_bindir()
        if bindir is None:
            raise RuntimeError('PostgreSQL server binaries not found (postgresql-15)')
        data, sock = os.path.join(self.top, 'pg', 'data'), os.path.join(self.top, 'pg', 'run')
        os.makedirs(sock)
        if os.geteuid() == 0:
            shutil.chown(os.path.join(self.top, 'pg'), 'postgres')
            shutil.chown(sock, 'postgres')
        subprocess.run(as_pg([os.path.join(bindir, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust',
                              '-E', 'UTF8', '--no-locale']), check=True, stdout=logf, stderr=logf)
        opts = f'-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off'
        subprocess.run(as_pg([os.path.join(bindir, 'pg_ctl'), '-D', data, '-l', os.path.join(sock, 'pg.log'),
                              '-o', opts, '-w', '-t', '60', 'start']), check=True, stdout=logf, stderr=logf)
        psql = [os.path.join(bindir, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
                '-p', str(port), '-U', 'postgres', '-d', 'postgres']
        pw = password.replace("'", "''")
        subprocess.run(psql + ['-c', f'CREATE ROLE "{user}" LOGIN PASSWORD \'{pw}\''], check=True,
                       stdout=logf, stderr=logf)
        subprocess.run(psql + ['-c', f'CREATE DATABASE "{dbname}" OWNER "{user}"'], check=True,
                       stdout=logf, stderr=logf)
        return lambda: subprocess.run(as_pg([os.path.join(bindir, 'pg_ctl'), '-D', data, '-m', 'fast',
                                             '-w', '-t', '30', 'stop']), stdout=logf, stderr=logf)

    def start_redis(self, port, logf, password=None):
        """The dev Redis StatefulSet's role: requirepass from the overlay's Secret."""
        exe = shutil.which('redis-server')
        if exe is None:
            raise RuntimeError('redis-server not found')
        conf = []
        if password:
            fd, path = tempfile.mkstemp(prefix='oi-redis-', suffix='.conf', dir=self.top)
            with os.fdopen(fd, 'w') as f:
                f.write('requirepass %s\n' % password)
            conf = [path]
        p = subprocess.Popen([exe, *conf, '--bind', '127.0.0.1', '--port', str(port), '--save', '',
                              '--appendonly', 'no'], stdout=logf, stderr=logf)
        if not wait_port(port, 10, p):
            p.kill()
            raise RuntimeError('redis-server did not start')
        return lambda: (p.terminate(), p.wait())


# ---- containers of the built image ---------------------------------------------------------------

def docker_answers():
    """A docker client whose daemon answers (some machines ship the client alone)."""
    if not shutil.which('docker'):
        return False
    try:
        return subprocess.run(['docker', 'info'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def engine_argv():
    """The engine and its global flags, as deploy/docker/engine.sh chooses them."""
    name = os.environ.get('OI_CONTAINER_ENGINE') or shutil.which('podman') and 'podman' or \
        docker_answers() and 'docker'
    if not name:
        return None
    argv = [name]
    if name == 'podman':
        argv += ['--runtime', os.environ.get('OI_PODMAN_RUNTIME', 'runc')]
    return argv


def limits():
    """nofile 65536 and nproc 32768 for every container, or this process's hard limit when lower
    (as deploy/docker/engine.sh chooses them)."""
    out = []
    for name, which, want in (('nofile', resource.RLIMIT_NOFILE, 65536), ('nproc', resource.RLIMIT_NPROC, 32768)):
        hard = resource.getrlimit(which)[1]
        n = want if hard == resource.RLIM_INFINITY or hard > want else hard
        out += ['--ulimit', f'{name}={n}:{n}']
    return out


class ContainerRunner:
    kind = 'containers'

    def __init__(self, image, stores_image, top, sip_image=None):
        self.image, self.stores, self.top, self.sip = image, stores_image, top, sip_image
        self.engine = engine_argv()
        self.prefix = IMAGE_PREFIX
        self.tag = 'oi-smoke-%d' % os.getpid()
        self.names = []

    def what(self):
        images = ', '.join(i for i in (self.image, self.sip) if i)
        return f'images {images} and {self.stores} in {self.engine[0] if self.engine else "no engine"}'

    def prepare(self):
        if self.engine is None:
            return ['neither podman nor docker is installed (make image installs podman)']
        p = []
        for img in (i for i in (self.image, self.stores, self.sip) if i):
            r = subprocess.run(self.engine + ['image', 'inspect', '--format', '{{.Id}}', img],
                               capture_output=True, text=True)
            if r.returncode != 0:
                p.append(f'{img} is not built (make image): {r.stderr.strip()[:200]}')
        return p

    def _env_file(self, name, env):
        path = os.path.join(self.top, name + '.env')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            for k, v in env.items():
                if '\n' in str(v):
                    raise RuntimeError(f'{name}: {k} holds a newline, which an env file cannot carry')
                f.write(f'{k}={v}\n')
        return path

    def _run(self, name, flags, image, argv, log):
        cname = f'{self.tag}-{name}'
        self.names.append(cname)
        cmd = self.engine + ['run', '--rm', '--name', cname, '--network', 'host', '--sig-proxy=true',
                             *limits(), *flags, image, *argv]
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def start(self, name, env, container, log, image=None, writable=('/tmp',)):
        """image: default the suite's; writable: the container's emptyDir mounts, each a tmpfs."""
        flags = ['--user', f'{APP_UID}:{APP_UID}', '--read-only', '--cap-drop', 'ALL',
                 '--security-opt', 'no-new-privileges', '--env-file', self._env_file(name, env)]
        for path in writable:
            flags += ['--tmpfs', f'{path}:rw,mode=1777,size=64m']
        if self.engine[0] == 'podman':
            flags.append('--read-only-tmpfs=false')  # only the manifests' emptyDir is writable
        args = [str(a) for a in (container.get('args') or [])]
        if container.get('command'):
            cmd = [str(a) for a in container['command']]
            flags += ['--entrypoint', cmd[0]]
            args = cmd[1:] + args
        return self._run(name, flags, image or self.image, args, log)

    def _rm(self, cname):
        subprocess.run(self.engine + ['rm', '-f', '-t', '0', cname], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def kill(self, name, proc):
        self._rm(f'{self.tag}-{name}')
        if proc.poll() is None:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def exec_in(self, name, argv):
        """Runs argv in the running container (a lifecycle hook's command): its exit status."""
        r = subprocess.run(self.engine + ['exec', f'{self.tag}-{name}', *argv], capture_output=True,
                           text=True, timeout=60)
        return r.returncode

    def start_postgres(self, port, user, dbname, password, logf):
        env = {'PGDATA': '/var/lib/postgresql/data', 'PGPORT': str(port), 'POSTGRES_USER': user,
               'POSTGRES_DB': dbname, 'POSTGRES_PASSWORD': password}
        flags = ['--user', 'postgres', '--env-file', self._env_file('postgres', env)]
        p = self._run('postgres', flags, self.stores, ['pg-start', '-c', 'fsync=off'], logf)
        cname = f'{self.tag}-postgres'
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and p.poll() is None:
            r = subprocess.run(self.engine + ['exec', cname, 'pg_isready', '-q', '-h', '127.0.0.1', '-p', str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return lambda: self.kill('postgres', p)
            time.sleep(0.3)
        self.kill('postgres', p)
        raise RuntimeError('PostgreSQL container did not become ready (see stores.log)')

    def start_redis(self, port, logf, password=None):
        argv = ['redis-server', '--bind', '127.0.0.1', '--port', str(port), '--save', '', '--appendonly', 'no']
        if password:
            argv += ['--requirepass', password]
        p = self._run('redis', ['--user', 'redis'], self.stores, argv, logf)
        if not wait_port(port, 30, p):
            self.kill('redis', p)
            raise RuntimeError('Redis container did not start (see stores.log)')
        return lambda: self.kill('redis', p)

    def cleanup(self):
        for cname in self.names:
            self._rm(cname)
