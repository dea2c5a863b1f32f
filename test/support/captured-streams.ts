// The CLI's stdout and stderr as in-memory streams, and what was written to
// them: the one capture every CLI test uses.
import { PassThrough } from 'node:stream';

export interface CapturedStreams {
  streams: { stdout: PassThrough; stderr: PassThrough };
  text(): { stdout: string; stderr: string };
}

export function captureStreams(): CapturedStreams {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += c));
  err.on('data', (c) => (stderr += c));
  return { streams: { stdout: out, stderr: err }, text: () => ({ stdout, stderr }) };
}
