import { Injectable } from '@nestjs/common';
import { badInput, ExperimentSpec, assertJsonDepth } from '@trainyard/common';
import { compileMap, PipelineSpec } from '@trainyard/data';
import { DeploymentRepository } from '@trainyard/db';
import { predictProbabilities } from '@trainyard/engine';
import sharp from 'sharp';
import { ModelCache } from './model-cache.service';

const MAX_INSTANCES = 1024;

function flatten(value: unknown, out: number[], path: string): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, out, `${path}[${i}]`));
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    out.push(value);
  } else {
    throw badInput(`${path} must be a finite number or an array of them, got ${JSON.stringify(value)}`);
  }
}

/**
 * Predictions for a deployed checkpoint. Instances are raw samples in the dataset's own shape (for
 * MNIST 28x28 pixel values 0-255, as [28][28], [28][28][1] or a flat 784); the deployment applies the
 * same map transforms the experiment trained with, so clients never re-implement preprocessing.
 */
@Injectable()
export class PredictService {
  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly models: ModelCache,
  ) {}

  async predict(teamId: string, name: string, body: unknown) {
    // Before the recursive walk below (the HTTP edge refuses deep bodies too; this guards other callers).
    assertJsonDepth('body', body, 16);
    const instances = (body as { instances?: unknown })?.instances;
    if (!Array.isArray(instances) || instances.length === 0) {
      throw badInput('body must be {"instances": [...]} with at least one instance');
    }
    if (instances.length > MAX_INSTANCES) throw badInput(`at most ${MAX_INSTANCES} instances per request, got ${instances.length}`);
    const { run, sampleSize, imageShape } = await this.prepare(teamId, name);
    const samples = instances.map((inst, i) => {
      const flat: number[] = [];
      flatten(inst, flat, `instances[${i}]`);
      if (flat.length !== sampleSize) {
        throw badInput(`instances[${i}] has ${flat.length} values; model "${name}" takes images of shape [${imageShape.join(', ')}] (${sampleSize} values)`);
      }
      return Float32Array.from(flat);
    });
    return { predictions: (await run(samples)).map((p) => Array.from(p)) };
  }

  /** Classifies one image (PNG, JPEG, ...). Dark-on-light images are inverted, since MNIST digits are light on dark. */
  async classify(teamId: string, name: string, image: Buffer | undefined) {
    if (!image || image.length === 0) throw badInput('send the image as the request body (Content-Type: image/png)');
    const { run, imageShape } = await this.prepare(teamId, name);
    const [h, w, c] = imageShape;
    let pixels: Buffer;
    try {
      let img = sharp(image).resize(w, h, { fit: 'fill' });
      img = c === 1 ? img.grayscale() : img.removeAlpha();
      pixels = await img.raw().toBuffer();
    } catch (e) {
      throw badInput(`could not decode the image: ${(e as Error).message}`);
    }
    const sample = Float32Array.from(pixels);
    const mean = sample.reduce((a, b) => a + b, 0) / sample.length;
    if (mean > 127) for (let i = 0; i < sample.length; i++) sample[i] = 255 - sample[i];
    const [probabilities] = await run([sample]);
    let best = 0;
    for (let k = 1; k < probabilities.length; k++) if (probabilities[k] > probabilities[best]) best = k;
    return { class: best, probability: probabilities[best], probabilities: Array.from(probabilities) };
  }

  /** TF Serving's model status shape. */
  async status(teamId: string, name: string) {
    const d = await this.deployments.getByName(teamId, name);
    return { model_version_status: [{ version: String(d.checkpoint.step), state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] };
  }

  private async prepare(teamId: string, name: string) {
    const d = await this.deployments.getByName(teamId, name);
    const spec = d.checkpoint.experiment.spec as unknown as ExperimentSpec & { pipeline: PipelineSpec };
    const imageShape = spec.imageShape as [number, number, number];
    const sampleSize = imageShape[0] * imageShape[1] * imageShape[2];
    const program = compileMap(spec.pipeline.map, imageShape);
    const model = await this.models.get(d.checkpointId, d.checkpoint.storageKey);
    const run = async (samples: Float32Array[]) => {
      const x = new Float32Array(samples.length * program.outSize);
      samples.forEach((s, i) => program.run(s, 0, x, i * program.outSize));
      const probs = await predictProbabilities(model, x, [samples.length, ...program.outShape]);
      const k = probs.length / samples.length;
      return samples.map((_, i) => probs.subarray(i * k, (i + 1) * k));
    };
    return { run, sampleSize, imageShape };
  }
}
