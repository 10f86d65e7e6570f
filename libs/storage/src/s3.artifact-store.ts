import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Upload } from '@aws-sdk/lib-storage';
import { notFound } from '@trainyard/common';
import { ArtifactInfo, ArtifactStore, assertValidKey, MultipartUploads, PutOptions } from './artifact-store';

export interface S3StoreConfig {
  bucket: string;
  region: string;
  /** For S3-compatible servers (MinIO, s3rver, R2). */
  endpoint?: string;
  /** Path-style URLs (http://host/bucket/key); needed by most non-AWS servers. */
  forcePathStyle?: boolean;
  /** Without these the SDK's default credential chain is used (env, profile, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Create the bucket in init() when it does not exist. */
  createBucket?: boolean;
  /** Multipart part size in bytes (min 5 MiB); memory per put is about partSize * queueSize. */
  partSize?: number;
  queueSize?: number;
}

const statusOf = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const isMissing = (e: unknown) => {
  const name = (e as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(e) === 404;
};

/**
 * Artifacts in an S3 bucket. Puts stream through @aws-sdk/lib-storage's Upload (multipart above one
 * part), which is atomic per object: nothing is visible until the upload completes, and an upload
 * whose body fails is aborted, leaving no object.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(private readonly config: S3StoreConfig) {
    this.bucket = config.bucket;
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      ...(config.accessKeyId && config.secretAccessKey
        ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
        : {}),
    });
  }

  readonly multipart: MultipartUploads = {
    begin: async (key, partCount, expiresInS) => {
      assertValidKey(key);
      const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/octet-stream' }));
      const urls = await Promise.all(
        Array.from({ length: partCount }, (_, i) =>
          getSignedUrl(this.client, new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber: i + 1 }), { expiresIn: expiresInS }),
        ),
      );
      return { uploadId: UploadId!, urls };
    },
    complete: async (key, uploadId, parts) => {
      assertValidKey(key);
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
    },
    abort: async (key, uploadId) => {
      assertValidKey(key);
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    },
  };

  describe() {
    return `s3://${this.bucket}${this.config.endpoint ? ` at ${this.config.endpoint}` : ''}`;
  }

  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      if (!isMissing(e)) throw e;
      if (!this.config.createBucket) throw new Error(`S3 bucket ${this.bucket} does not exist (set S3_CREATE_BUCKET=true to create it)`);
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async put(key: string, body: Readable | Uint8Array, opts: PutOptions = {}): Promise<{ sizeBytes: number }> {
    assertValidKey(key);
    let sizeBytes = 0;
    let sourceError: Error | undefined;
    let Body: Readable | Uint8Array;
    if (body instanceof Uint8Array) {
      Body = body;
      sizeBytes = body.byteLength;
    } else {
      const counter = new Transform({
        transform(chunk: Buffer, _e, cb) {
          sizeBytes += chunk.length;
          cb(null, chunk);
        },
      });
      // pipeline() destroys the counter with the source's error, which fails the upload.
      pipeline(body, counter, (err) => {
        if (err) sourceError = err;
      });
      Body = counter;
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body, ContentType: opts.contentType ?? 'application/octet-stream' },
      partSize: this.config.partSize ?? 8 * 1024 * 1024,
      queueSize: this.config.queueSize ?? 4,
    });
    try {
      await upload.done();
    } catch (e) {
      // The source's error says what went wrong; an abort failure (some S3 look-alikes do not
      // implement AbortMultipartUpload) must not hide it.
      throw sourceError ?? e;
    }
    if (sourceError) throw sourceError;
    return { sizeBytes };
  }

  async get(key: string): Promise<Readable> {
    assertValidKey(key);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return r.Body as Readable;
    } catch (e) {
      if (isMissing(e)) throw notFound('artifact', key);
      throw e;
    }
  }

  async getBytes(key: string): Promise<Uint8Array> {
    assertValidKey(key);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await r.Body!.transformToByteArray();
    } catch (e) {
      if (isMissing(e)) throw notFound('artifact', key);
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertValidKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    const out: ArtifactInfo[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push({ key: o.Key, sizeBytes: o.Size ?? 0 });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Closes the client's sockets. */
  close() {
    this.client.destroy();
  }
}
