/** A small client for the API as an application sees it: GraphQL and REST with a bearer key. */
export class TrainyardClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  withKey(apiKey: string | undefined) {
    return new TrainyardClient(this.baseUrl, apiKey);
  }

  private headers(extra: Record<string, string> = {}) {
    return { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  /** Runs a GraphQL operation; returns data and errors as the server sent them. */
  async gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
    const res = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }

  /** Like gql, but throws on any error. */
  async data<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const r = await this.gql<T>(query, variables);
    if (r.errors?.length) throw new Error(`GraphQL error: ${r.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ')}`);
    return r.data!;
  }

  async upload(datasetId: string, file: string, body: Buffer) {
    const res = await fetch(`${this.baseUrl}/v1/datasets/${datasetId}/files/${file}`, {
      method: 'PUT',
      headers: this.headers({ 'content-type': 'application/octet-stream' }),
      body,
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async post(path: string, body: unknown, contentType = 'application/json') {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': contentType }),
      body: Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async get(path: string) {
    const res = await fetch(`${this.baseUrl}${path}`, { headers: this.headers() });
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? ((await res.json()) as any) : Buffer.from(await res.arrayBuffer()) };
  }
}

export const EXPERIMENT_FIELDS = `id name status attempt backend failureReason cancelRequested spec
  progress { epoch step totalSteps samplesPerSecond }
  metrics { accuracy loss precision recall f1 confusionMatrix perClass { precision recall f1 support } topK topKAccuracy micro }
  losses { step epoch loss lr }
  epochSummaries { epoch step loss accuracy learningRate validation layers { name weightNorm gradNorm } }
  checkpoints { id step epoch sizeBytes downloadUrl }`;

/** Polls an experiment until `done` says so, or fails after `timeoutMs`. */
export async function waitForExperiment(client: TrainyardClient, id: string, done: (e: any) => boolean, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { experiment } = await client.data(`query($id: ID!) { experiment(id: $id) { ${EXPERIMENT_FIELDS} } }`, { id });
    if (done(experiment)) return experiment;
    if (Date.now() > deadline) throw new Error(`experiment ${id} did not get there in ${timeoutMs} ms; last: ${JSON.stringify({ status: experiment.status, progress: experiment.progress, failureReason: experiment.failureReason })}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Waits until the dataset's newest version is READY (ingest runs on a worker after the last upload).
 * Throws with the failure reason when it ends FAILED.
 */
export async function waitForDataset(client: TrainyardClient, id: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { dataset } = await client.data(`query($id: ID!) { dataset(id: $id) { id status versions { id version status failureReason } } }`, { id });
    const latest = dataset.versions[0];
    if (latest?.status === 'READY') return dataset;
    if (latest?.status === 'FAILED') throw new Error(`dataset ${id} version ${latest.version} FAILED: ${latest.failureReason}`);
    if (Date.now() > deadline) throw new Error(`dataset ${id} not READY after ${timeoutMs} ms (${JSON.stringify(dataset.versions)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until a dataset version leaves UPLOADING/INGESTING, and returns it. */
export async function waitForVersion(client: TrainyardClient, id: string, fields = 'id version status failureReason', timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { datasetVersion } = await client.data(`query($id: ID!) { datasetVersion(id: $id) { ${fields} } }`, { id });
    if (datasetVersion.status === 'READY' || datasetVersion.status === 'FAILED') return datasetVersion;
    if (Date.now() > deadline) throw new Error(`dataset version ${id} still ${datasetVersion.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
