import { DeployCheckpointDocument, DeploymentsDocument, ModelsDocument, type DeployOptionsInput, type DeploymentFieldsFragment, type ModelsQuery } from './generated/graphql';
import type { Transport } from './transport';

export type Deployment = DeploymentFieldsFragment;
export type ServedModel = ModelsQuery['models'][number];
export type { DeployOptionsInput };

export class Deployments {
  constructor(private readonly t: Transport) {}

  /** Deploys a checkpoint as the next version of `name` (the default version unless options say otherwise). */
  async deploy(checkpointId: string, name: string, options?: DeployOptionsInput): Promise<Deployment> {
    return (await this.t.request(DeployCheckpointDocument, { checkpointId, name, options })).deployCheckpoint;
  }

  /** The default version of each served model. */
  async list(): Promise<Deployment[]> {
    return (await this.t.request(DeploymentsDocument)).deployments;
  }

  /** Served models with every version, labels and traffic split. */
  async models(): Promise<ServedModel[]> {
    return (await this.t.request(ModelsDocument)).models;
  }
}
