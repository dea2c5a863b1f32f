// moto answers some JSON-protocol APIs (CodePipeline's GetPipeline metadata,
// for one) with ISO-8601 timestamp strings where AWS sends epoch seconds and
// the JS SDK expects numbers. This request handler wraps the SDK's own HTTP
// handler and rewrites those strings in JSON responses, so the real SDK
// stack can be exercised against the emulator.
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Readable } from 'node:stream';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

function rewrite(value: unknown): unknown {
  if (typeof value === 'string' && ISO.test(value)) return Date.parse(value) / 1000;
  if (Array.isArray(value)) return value.map(rewrite);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
  return value;
}

export class MotoTimestampHandler extends NodeHttpHandler {
  override async handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const result = await super.handle(...args);
    const { response } = result;
    // moto labels its JSON answers text/html, so look at the body, not the content type.
    const type = String(response.headers['content-type'] ?? '');
    if (type.includes('xml') || !response.body) return result;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as Readable) chunks.push(Buffer.from(chunk));
    const text = Buffer.concat(chunks).toString('utf8');
    let body = text;
    if (/^\s*[[{]/.test(text)) {
      try {
        body = JSON.stringify(rewrite(JSON.parse(text)));
      } catch {
        // not JSON after all: pass it through unchanged
      }
    }
    response.body = Readable.from([Buffer.from(body)]);
    response.headers['content-length'] = String(Buffer.byteLength(body));
    return result;
  }
}
