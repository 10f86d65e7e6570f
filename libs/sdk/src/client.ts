import { Checkpoints } from './checkpoints';
import { Datasets } from './datasets';
import { Deployments } from './deployments';
import { Experiments } from './experiments';
import { WhoamiDocument, type WhoamiQuery } from './generated/graphql';
import { KServe, TfServing } from './predict';
import { Subscriptions } from './subscriptions';
import { Transport, TransportOptions, TypedDocument } from './transport';

export type Whoami = WhoamiQuery['whoami'];
export type TrainyardClientOptions = TransportOptions;

/**
 * The Trainyard API as a TypeScript client:
 *
 *   const ty = new TrainyardClient({ url: 'http://localhost:3000', apiKey: process.env.TRAINYARD_KEY });
 *   const { version } = await ty.datasets.upload(['train-images', ...], { name: 'mnist', format: 'idx' });
 *   const exp = await ty.experiments.submit({ name: 'lenet5', datasetId, model: { name: 'lenet5' }, ... });
 *   for await (const ev of ty.experiments.watch(exp.id)) ...
 */
export class TrainyardClient {
  readonly transport: Transport;
  readonly datasets: Datasets;
  readonly experiments: Experiments;
  readonly checkpoints: Checkpoints;
  readonly deployments: Deployments;
  /** TensorFlow Serving REST: `:predict`, `:classify`. */
  readonly tfServing: TfServing;
  /** KServe Open Inference Protocol v2: `/infer`. */
  readonly kserve: KServe;
  /** GraphQL subscriptions over graphql-ws (one WebSocket, opened on first use). */
  readonly subscriptions: Subscriptions;

  constructor(opts: TrainyardClientOptions) {
    this.transport = new Transport(opts);
    this.subscriptions = new Subscriptions(this.transport);
    this.datasets = new Datasets(this.transport);
    this.experiments = new Experiments(this.transport, this.subscriptions);
    this.checkpoints = new Checkpoints(this.transport);
    this.deployments = new Deployments(this.transport);
    this.tfServing = new TfServing(this.transport);
    this.kserve = new KServe(this.transport);
  }

  get url(): string {
    return this.transport.baseUrl;
  }

  /** The key's user, team (or course) and role: a cheap check that URL and key work. */
  async whoami(): Promise<Whoami> {
    return (await this.transport.request(WhoamiDocument)).whoami;
  }

  /** Closes the subscription WebSocket, if one is open (a process with an open one does not exit by itself). */
  close(): Promise<void> {
    return this.subscriptions.close();
  }

  /** Any typed document (from the generated module) with its variables. */
  request<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables?: TVariables): Promise<TResult> {
    return this.transport.request(document, variables);
  }
}
