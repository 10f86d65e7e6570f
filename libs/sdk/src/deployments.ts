import { DeployCheckpointDocument, DeploymentsDocument, ModelsDocument, type DeployOptionsInput, type DeploymentFieldsFragment, type ServedModelFieldsFragment } from './generated/graphql';
import { allPages, collect, Page, pageOf, PageOptions } from './pages';
import type { Transport } from './transport';

export type Deployment = DeploymentFieldsFragment;
export type ServedModel = ServedModelFieldsFragment;
export type { DeployOptionsInput };

export class Deployments {
  constructor(private readonly t: Transport) {}

  /** Deploys a checkpoint as the next version of `name` (the default version unless options say otherwise). */
  async deploy(checkpointId: string, name: string, options?: DeployOptionsInput): Promise<Deployment> {
    return (await this.t.request(DeployCheckpointDocument, { checkpointId, name, options })).deployCheckpoint;
  }

  /** The default version of each served model: one page, by model name. */
  async list(opts: PageOptions = {}): Promise<Page<Deployment>> {
    return pageOf((await this.t.request(DeploymentsDocument, { first: opts.first ?? 50, after: opts.after })).deployments);
  }

  /**
   * Served models with every version, labels and traffic split: one page of 20, by name (a fixed
   * size: the server's query cost rule counts every version of every model).
   */
  async models(opts: Pick<PageOptions, 'after'> = {}): Promise<Page<ServedModel>> {
    return pageOf((await this.t.request(ModelsDocument, { after: opts.after })).models);
  }

  /** Every served model, page after page. */
  allModels(): Promise<ServedModel[]> {
    return collect(allPages((after) => this.models({ after })));
  }
}
