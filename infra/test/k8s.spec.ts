/**
 * infra/k8s, offline (no cluster here): `kubectl kustomize` builds each overlay; every object
 * validates against the Kubernetes and KEDA schemas (kubernetes-models, @kubernetes-models/keda);
 * Trainyard containers set only variables libs/config reads and their config loads; probes, grace
 * periods and KEDA triggers agree with what the processes do.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JOB_LANES } from '@trainyard/common';
import { AppConfig, CONFIG_ENV_VARS, loadConfig } from '@trainyard/config';
import { laneQueueName } from '@trainyard/queue';
import { parseAllDocuments } from 'yaml';
import { REPO } from './dockerfile';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

function build(dir: string): Obj[] {
  if (!fs.existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL} (set KUBECTL): these tests build the overlays with \`kubectl kustomize\``);
  const out = execFileSync(KUBECTL, ['kustomize', path.join(REPO, 'infra/k8s', dir)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as Obj).filter(Boolean);
}

/** The kubernetes-models (or KEDA) class of an object, by apiVersion and kind. */
function model(o: Obj): new (data: object) => { validate(): void } {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const file = group === 'keda.sh' ? `@kubernetes-models/keda/keda.sh/${version}/${o.kind}` : `kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file)[o.kind];
}

interface Container {
  owner: Obj;
  pod: any;
  container: any;
}

function podSpecs(objects: Obj[]): Array<{ owner: Obj; pod: any }> {
  return objects.flatMap((o) => {
    if (o.kind === 'Deployment') return [{ owner: o, pod: o.spec.template.spec }];
    if (o.kind === 'ScaledJob') return [{ owner: o, pod: o.spec.jobTargetRef.template.spec }];
    return [];
  });
}

function trainyardContainers(objects: Obj[]): Container[] {
  return podSpecs(objects).flatMap(({ owner, pod }) => pod.containers.filter((c: any) => /(^|\/)trainyard\//.test(c.image)).map((container: any) => ({ owner, pod, container })));
}

const base = build('base');

/** A container's environment as the kubelet would give it: envFrom sources, then env. */
function effectiveEnv(objects: Obj[], c: any): Record<string, string> {
  const env: Record<string, string> = {};
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) ?? base.find((o) => o.kind === kind && o.metadata.name === name);
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, find('ConfigMap', from.configMapRef.name)!.data);
    if (from.secretRef) {
      // Prod creates its Secrets out of band: their keys are the base's (its placeholders stand in for the values).
      const secret = find('Secret', from.secretRef.name)!;
      Object.assign(env, secret.stringData ?? {}, Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])));
    }
  }
  for (const e of c.env ?? []) env[e.name] = e.value;
  return env;
}

function probePort(c: any, probe: any): number {
  const port = probe.httpGet.port;
  return typeof port === 'number' ? port : c.ports.find((p: any) => p.name === port).containerPort;
}

/** Lanes a scale target's workers consume. */
function lanesOf(objects: Obj[], deployment: string): AppConfig['worker']['lanes'] {
  const c = trainyardContainers(objects).find((x) => x.owner.kind === 'Deployment' && x.owner.metadata.name === deployment)!;
  return loadConfig(effectiveEnv(objects, c.container)).worker.lanes;
}

describe.each(['dev', 'prod'])('infra/k8s/overlays/%s', (overlay) => {
  const objects = build(`overlays/${overlay}`);
  const containers = trainyardContainers(objects);

  it('builds with kubectl kustomize', () => {
    expect(objects.length).toBeGreaterThan(8);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['Deployment', 'Service', 'ConfigMap', 'ScaledObject', 'TriggerAuthentication']) expect(kinds).toContain(kind);
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe(overlay === 'dev' ? 'trainyard-dev' : 'trainyard');
  });

  it('every object validates against the Kubernetes and KEDA schemas', () => {
    const errors = objects.flatMap((o) => {
      try {
        new (model(o))(o).validate();
        return [];
      } catch (err) {
        return [`${o.kind}/${o.metadata.name}: ${(err as Error).message}`];
      }
    });
    expect(errors).toEqual([]);
  });

  it('the validation is real: a broken object is rejected', () => {
    const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment')!);
    deployment.spec.template.spec.containers[0].ports = [{ containerPort: 'http' }];
    expect(() => new (model(deployment))(deployment).validate()).toThrow(/containerPort/);
    const so = structuredClone(objects.find((o) => o.kind === 'ScaledObject')!);
    delete so.spec.scaleTargetRef;
    expect(() => new (model(so))(so).validate()).toThrow(/scaleTargetRef/);
  });

  it('Trainyard containers set exactly variables libs/config reads, and their config loads against shared services', () => {
    expect(containers.map((c) => c.owner.metadata.name).sort()).toEqual(
      overlay === 'prod' ? ['trainyard-api', 'trainyard-gpu-trainer', 'trainyard-serve', 'trainyard-worker'] : ['trainyard-api', 'trainyard-serve', 'trainyard-worker'],
    );
    for (const { owner, container } of containers) {
      const env = effectiveEnv(objects, container);
      const unknown = Object.keys(env).filter((k) => !CONFIG_ENV_VARS.includes(k));
      expect({ container: owner.metadata.name, unknown }).toEqual({ container: owner.metadata.name, unknown: [] });
      const config = loadConfig(env);
      expect(config.env).toBe('production');
      expect([config.database.kind, config.queue.kind, config.storage.kind]).toEqual(['postgres', 'redis', 's3']);
      expect(config.log.format).toBe(overlay === 'prod' ? 'json' : 'text');
    }
  });

  it('probes hit /healthz and /readyz on the port the process serves them on', () => {
    for (const { owner, container } of containers) {
      const config = loadConfig(effectiveEnv(objects, container));
      const port = owner.metadata.name.includes('worker') || owner.kind === 'ScaledJob' ? config.worker.healthPort : config.port;
      expect(port).toEqual(expect.any(Number));
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(probePort(container, container.readinessProbe)).toBe(port);
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(probePort(container, container.livenessProbe)).toBe(port);
    }
  });

  it('terminationGracePeriodSeconds covers preStop plus the process\'s own drain (WORKER_SHUTDOWN_GRACE_MS)', () => {
    for (const { owner, pod, container } of containers) {
      const config = loadConfig(effectiveEnv(objects, container));
      const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      const budget = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
      expect({ owner: owner.metadata.name, fits: budget >= preStop * 1000 + config.worker.shutdownGraceMs + 5000 }).toEqual({ owner: owner.metadata.name, fits: true });
    }
  });

  it('workers scale from zero on the BullMQ lists of the lanes they consume', () => {
    const so = objects.find((o) => o.kind === 'ScaledObject' && o.metadata.name === 'trainyard-worker')!;
    expect(so.spec.minReplicaCount).toBe(0);
    const target = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === so.spec.scaleTargetRef.name)!;
    expect(target).toBeDefined();
    const env = effectiveEnv(objects, trainyardContainers([target])[0].container);
    const prefix = loadConfig(env).queue.kind === 'redis' ? (loadConfig(env).queue as { prefix: string }).prefix : '';
    const lanes = lanesOf(objects, target.metadata.name);
    const lists = so.spec.triggers.filter((t: any) => t.type === 'redis').map((t: any) => t.metadata.listName);
    expect(lists.sort()).toEqual(lanes.flatMap((l) => [`${prefix}:${laneQueueName(l)}:active`, `${prefix}:${laneQueueName(l)}:wait`]).sort());
    for (const t of so.spec.triggers.filter((x: any) => x.authenticationRef)) {
      expect(objects.some((o) => o.kind === 'TriggerAuthentication' && o.metadata.name === t.authenticationRef.name)).toBe(true);
    }
    // Every lane is consumed by someone in this overlay.
    const consumed = new Set([...lanes, ...(objects.some((o) => o.kind === 'ScaledJob') ? ['training'] : [])]);
    expect([...consumed].sort()).toEqual([...JOB_LANES].sort());
  });

  if (overlay === 'dev') {
    it('runs Postgres, Redis (AOF, noeviction) and MinIO in the namespace, where the config points', () => {
      const services = objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name);
      expect(services).toEqual(expect.arrayContaining(['postgres', 'redis', 'minio']));
      const config = loadConfig(effectiveEnv(objects, containers[0].container));
      expect(new URL((config.database as { url: string }).url).hostname).toBe('postgres');
      expect(new URL((config.queue as { url: string }).url).hostname).toBe('redis');
      expect(config.storage).toMatchObject({ endpoint: 'http://minio:9000' });
      const redis = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'redis')!;
      expect(redis.spec.template.spec.containers[0].args.join(' ')).toMatch(/--appendonly yes.*--maxmemory-policy noeviction/);
    });
  } else {
    it('uses external Postgres, Redis and S3, with Secrets created out of band', () => {
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      expect(objects.filter((o) => ['postgres', 'redis', 'minio'].includes(o.metadata.name))).toEqual([]);
      const config = loadConfig(effectiveEnv(objects, containers[0].container));
      expect(config.storage).toMatchObject({ kind: 's3' });
      expect((config.storage as { endpoint?: string }).endpoint).toBeUndefined();
    });

    it('trains on GPU nodes as a KEDA ScaledJob that exits when idle', () => {
      const sj = objects.find((o) => o.kind === 'ScaledJob')!;
      const pod = sj.spec.jobTargetRef.template.spec;
      const c = pod.containers[0];
      expect(c.image).toMatch(/worker-gpu/);
      expect(c.resources.limits['nvidia.com/gpu']).toBe(1);
      expect(pod.restartPolicy).toBe('Never');
      expect(pod.tolerations).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'nvidia.com/gpu' })]));
      const config = loadConfig(effectiveEnv(objects, c));
      expect(config.worker.lanes).toEqual(['training']);
      expect(config.worker.idleExitMs).toEqual(expect.any(Number));
      expect(config.worker.backend).toBe('tensorflow');
      expect(sj.spec.triggers.map((t: any) => t.metadata.listName)).toEqual([`trainyard:${laneQueueName('training')}:wait`]);
    });

    it('scales serve on request concurrency', () => {
      const so = objects.find((o) => o.kind === 'ScaledObject' && o.metadata.name === 'trainyard-serve')!;
      expect(so.spec.scaleTargetRef.name).toBe('trainyard-serve');
      expect(so.spec.triggers[0]).toMatchObject({ type: 'prometheus', metadata: { query: expect.stringContaining('trainyard_http_requests_in_flight') } });
    });
  }
});
