// Serves one PGlite database to many `pg` client connections over the
// Postgres wire protocol.
//
// Why not @electric-sql/pglite-socket's server: PGlite is a single backend
// (one session, one unnamed statement and portal), and that server queues
// each protocol *message* separately, so the Parse/Bind/Execute/Sync of two
// connections interleave; under concurrent parameterised queries clients get
// `portal "" does not exist` or another connection's rows (reproduced with 16
// pooled connections). This server queues whole *units* instead: everything a
// connection sends up to and including a Sync or a simple Query runs in one
// exclusive turn. While a connection holds an open transaction block only its
// units run, so transactions never interleave; if it disconnects inside one,
// the transaction is rolled back.
//
// Every connection authenticates with SCRAM-SHA-256 (the embedded database's
// password, or the owner's in-memory one that may use the reserved slots), so
// a local process without the password can neither read the data nor hold a
// session; one that has not authenticated within `authTimeoutMs` is dropped.
// Beyond the limit a client gets PostgreSQL's own refusal (FATAL 53300 "too
// many clients already"), never a reset.
//
// Named prepared statements and portals are per connection, as in
// PostgreSQL: each connection's names are rewritten into a namespace of its
// own (so two pooled `pg` clients preparing "insert_post" do not collide with
// `prepared statement ... already exists`) and deallocated when it goes away.
// Still shared by every client: SET, SQL-level PREPARE and advisory locks, so
// clients must not rely on per-connection settings.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const SCRAM_ITERATIONS = 4096;

export interface WireServerOptions {
  /** Sessions at once (authenticated connections), owner's included. */
  maxConnections: number;
  /** Of those, how many only the owner's password may use (so other processes cannot starve the service). */
  reservedConnections?: number;
  /** The password every client needs (user postgres). */
  password: string;
  /** A second password for this process's own connections, which may use the reserved slots. */
  ownerPassword?: string;
  /** A connection that has not authenticated by then is dropped (default 5000 ms). */
  authTimeoutMs?: number;
  /** Connections still authenticating at once; more are refused with 53300 (default 2 x maxConnections). */
  maxPending?: number;
  /**
   * Asked before each unit runs: a message when the database must not run
   * anything any more (its data directory was deleted), so no statement
   * writes by path into a directory that is not this database's.
   */
  checkBeforeUnit?: () => string | null;
}

interface Unit {
  connection: WireConnection;
  messages: Uint8Array[];
}

interface ScramKeys {
  storedKey: Buffer;
  serverKey: Buffer;
  owner: boolean;
}

type Phase = 'startup' | 'sasl-initial' | 'sasl-final' | 'ready';

let nextConnectionId = 1;

class WireConnection {
  readonly id = nextConnectionId++;
  buffer: Buffer = Buffer.alloc(0);
  phase: Phase = 'startup';
  startup: Uint8Array | null = null;
  clientFirstBare = '';
  serverFirst = '';
  nonce = '';
  /** Counted in the sessions (authenticated and admitted). */
  session = false;
  owner = false;
  pending: Uint8Array[] = [];
  /** Prepared statement names (as the client knows them) that exist in PGlite under this connection's prefix. */
  statements = new Set<string>();
  closed = false;
  authTimer: NodeJS.Timeout | undefined;
  constructor(readonly socket: net.Socket) {}
  get prefix(): string {
    return `m${this.id}_`;
  }
}

/** A backend ErrorResponse: what PostgreSQL sends, so `pg` reports the SQLSTATE. */
export function errorResponse(severity: 'FATAL' | 'ERROR', code: string, message: string): Buffer {
  const fields = Buffer.concat([field('S', severity), field('V', severity), field('C', code), field('M', message), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

function field(type: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(type), Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

function authMessage(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(9 + data.length);
  out.write('R', 0);
  out.writeInt32BE(8 + data.length, 1);
  out.writeInt32BE(code, 5);
  data.copy(out, 9);
  return out;
}

function message(type: string, body: Buffer): Uint8Array {
  const out = Buffer.alloc(5 + body.length);
  out.write(type, 0);
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return new Uint8Array(out);
}

function cstring(buffer: Buffer, at: number): [string, number] {
  const end = buffer.indexOf(0, at);
  if (end < 0) throw new Error('unterminated string in a protocol message');
  return [buffer.toString('utf8', at, end), end + 1];
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

function scramKeys(password: string, salt: Buffer, owner: boolean): ScramKeys {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, SCRAM_ITERATIONS, 32, 'sha256');
  return { storedKey: createHash('sha256').update(hmac(salted, 'Client Key')).digest(), serverKey: hmac(salted, 'Server Key'), owner };
}

export class PGliteWireServer {
  private readonly server: net.Server;
  private readonly connections = new Set<WireConnection>();
  private readonly queue: Unit[] = [];
  /** The connection whose open transaction block every other one waits for. */
  private owner: WireConnection | null = null;
  private running = false;
  private sessions = 0;
  private failure: { code: string; text: string } | null = null;
  private pendingAuth = 0;
  private readonly salt = randomBytes(16);
  private readonly keys: ScramKeys[];
  readonly maxConnections: number;
  readonly reservedConnections: number;
  private readonly authTimeoutMs: number;
  private readonly maxPending: number;
  private readonly checkBeforeUnit: (() => string | null) | undefined;

  constructor(
    private readonly db: PGlite,
    options: WireServerOptions,
  ) {
    this.maxConnections = options.maxConnections;
    this.reservedConnections = Math.min(options.reservedConnections ?? 0, options.maxConnections);
    this.authTimeoutMs = options.authTimeoutMs ?? 5000;
    this.maxPending = options.maxPending ?? 2 * options.maxConnections;
    this.checkBeforeUnit = options.checkBeforeUnit;
    this.keys = [scramKeys(options.password, this.salt, false)];
    if (options.ownerPassword) this.keys.push(scramKeys(options.ownerPassword, this.salt, true));
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Authenticated sessions open now. */
  get activeConnections(): number {
    return this.sessions;
  }

  /** Connections still authenticating. */
  get pendingConnections(): number {
    return this.pendingAuth;
  }

  /**
   * Refuses all work from now on (the data directory is no longer this
   * process's): open sessions get `code` and are closed, new ones too.
   */
  fail(code: string, text: string): void {
    this.failure = { code, text };
    this.queue.length = 0;
    for (const connection of this.connections) this.refuse(connection, code, text);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.socket.destroy();
    await closed;
    // Let a unit in progress finish before the caller closes the database.
    await this.db.runExclusive(async () => undefined);
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const connection = new WireConnection(socket);
    this.connections.add(connection);
    socket.on('data', (chunk: Buffer) => this.receive(connection, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.drop(connection));
    this.pendingAuth++;
    if (this.failure) {
      this.refuse(connection, this.failure.code, this.failure.text);
      return;
    }
    if (this.pendingAuth > this.maxPending) {
      this.refuse(connection, '53300', 'sorry, too many clients already (authenticating)');
      return;
    }
    connection.authTimer = setTimeout(() => {
      if (!connection.session) this.refuse(connection, '08006', 'authentication timed out');
    }, this.authTimeoutMs);
    connection.authTimer.unref();
  }

  private refuse(connection: WireConnection, code: string, text: string): void {
    if (connection.closed || !connection.socket.writable) return;
    connection.phase = 'startup';
    connection.socket.end(errorResponse('FATAL', code, text));
    connection.buffer = Buffer.alloc(0);
    // A client that keeps its side open must not keep the slot.
    setTimeout(() => connection.socket.destroy(), 1000).unref();
  }

  private receive(connection: WireConnection, chunk: Buffer): void {
    connection.buffer = connection.buffer.length === 0 ? chunk : Buffer.concat([connection.buffer, chunk]);
    try {
      this.parse(connection);
    } catch {
      this.refuse(connection, '08P01', 'invalid frontend message');
    }
  }

  private parse(connection: WireConnection): void {
    for (;;) {
      if (connection.closed || connection.socket.writableEnded) return;
      const buffer = connection.buffer;
      if (connection.phase === 'startup') {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (length < 8 || length > 10_000) throw new Error('bad startup length');
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        const packet = buffer.subarray(0, length);
        connection.buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          connection.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) {
          // Cancelling is not supported by PGlite: close as a server would.
          connection.socket.end();
          return;
        }
        if (code !== PROTOCOL_3) {
          this.refuse(connection, '0A000', 'unsupported frontend protocol');
          return;
        }
        connection.startup = new Uint8Array(packet);
        connection.phase = 'sasl-initial';
        connection.socket.write(authMessage(10, Buffer.from('SCRAM-SHA-256\0\0')));
        continue;
      }
      if (buffer.length < 5) return;
      const length = 1 + buffer.readInt32BE(1);
      if (length < 5) throw new Error('bad message length');
      if (buffer.length < length) return;
      const type = String.fromCharCode(buffer[0]!);
      const raw = buffer.subarray(0, length);
      connection.buffer = buffer.subarray(length);
      if (type === 'X') {
        connection.socket.end();
        return;
      }
      if (connection.phase !== 'ready') {
        if (type !== 'p') throw new Error('expected a password message');
        this.authenticate(connection, raw.subarray(5));
        continue;
      }
      connection.pending.push(this.rename(connection, type, raw));
      // Sync ends an extended-protocol exchange, Query is a whole simple
      // exchange, Flush asks for the output so far: each ends a unit.
      if (type === 'S' || type === 'Q' || type === 'H') {
        const messages = connection.pending;
        connection.pending = [];
        this.enqueue({ connection, messages });
      }
    }
  }

  /** The SCRAM-SHA-256 exchange (RFC 5802/7677, as PostgreSQL does it; no channel binding). */
  private authenticate(connection: WireConnection, body: Buffer): void {
    if (connection.phase === 'sasl-initial') {
      const [mechanism, at] = cstring(body, 0);
      if (mechanism !== 'SCRAM-SHA-256') return this.refuse(connection, '28000', `unsupported SASL mechanism ${mechanism}`);
      const clientFirst = body.toString('utf8', at + 4);
      const match = /^[ny],[^,]*,(n=[^,]*,r=([^,]+).*)$/.exec(clientFirst);
      if (!match) return this.refuse(connection, '08P01', 'malformed SCRAM client-first-message');
      connection.clientFirstBare = match[1]!;
      connection.nonce = match[2]! + randomBytes(18).toString('base64');
      connection.serverFirst = `r=${connection.nonce},s=${this.salt.toString('base64')},i=${SCRAM_ITERATIONS}`;
      connection.phase = 'sasl-final';
      connection.socket.write(authMessage(11, Buffer.from(connection.serverFirst)));
      return;
    }
    const clientFinal = body.toString('utf8');
    const match = /^(c=[^,]*,r=([^,]+)(?:,[^p][^,]*)*),p=([A-Za-z0-9+/=]+)$/.exec(clientFinal);
    if (!match || match[2] !== connection.nonce) return this.refuse(connection, '08P01', 'malformed SCRAM client-final-message');
    const auth = `${connection.clientFirstBare},${connection.serverFirst},${match[1]}`;
    const proof = Buffer.from(match[3]!, 'base64');
    const keys = this.keys.find((k) => {
      if (proof.length !== 32) return false;
      const signature = hmac(k.storedKey, auth);
      const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
      return timingSafeEqual(createHash('sha256').update(clientKey).digest(), k.storedKey);
    });
    if (!keys) return this.refuse(connection, '28P01', 'password authentication failed for user "postgres"');
    const limit = keys.owner ? this.maxConnections : this.maxConnections - this.reservedConnections;
    if (this.sessions >= limit) return this.refuse(connection, '53300', 'sorry, too many clients already');
    clearTimeout(connection.authTimer);
    this.pendingAuth--;
    this.sessions++;
    connection.session = true;
    connection.owner = keys.owner;
    connection.phase = 'ready';
    connection.socket.write(authMessage(12, Buffer.from(`v=${hmac(keys.serverKey, auth).toString('base64')}`)));
    // PGlite answers the startup message itself (AuthenticationOk, parameters, ReadyForQuery).
    this.enqueue({ connection, messages: [connection.startup!] });
    connection.startup = null;
  }

  /** Puts a named statement or portal into this connection's namespace. */
  private rename(connection: WireConnection, type: string, raw: Buffer): Uint8Array {
    const body = raw.subarray(5);
    const scoped = (name: string) => (name === '' ? '' : connection.prefix + name);
    switch (type) {
      case 'P': {
        const [name, at] = cstring(body, 0);
        if (name === '') return new Uint8Array(raw);
        connection.statements.add(name);
        return message('P', Buffer.concat([Buffer.from(`${scoped(name)}\0`), body.subarray(at)]));
      }
      case 'B': {
        const [portal, at] = cstring(body, 0);
        const [statement, rest] = cstring(body, at);
        if (portal === '' && statement === '') return new Uint8Array(raw);
        return message('B', Buffer.concat([Buffer.from(`${scoped(portal)}\0${scoped(statement)}\0`), body.subarray(rest)]));
      }
      case 'E': {
        const [portal, at] = cstring(body, 0);
        if (portal === '') return new Uint8Array(raw);
        return message('E', Buffer.concat([Buffer.from(`${scoped(portal)}\0`), body.subarray(at)]));
      }
      case 'D':
      case 'C': {
        const kind = String.fromCharCode(body[0]!);
        const [name] = cstring(body, 1);
        if (name === '') return new Uint8Array(raw);
        if (type === 'C' && kind === 'S') connection.statements.delete(name);
        return message(type, Buffer.from(`${kind}${scoped(name)}\0`));
      }
      default:
        return new Uint8Array(raw);
    }
  }

  private enqueue(unit: Unit): void {
    if (this.failure) return;
    this.queue.push(unit);
    void this.run();
  }

  private drop(connection: WireConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    clearTimeout(connection.authTimer);
    this.connections.delete(connection);
    if (connection.session) this.sessions--;
    else this.pendingAuth--;
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.connection === connection) this.queue.splice(i, 1);
    if (connection.statements.size > 0 && connection.session && !this.failure) {
      // Its statements live in the shared session: deallocate them (after
      // any rollback of its transaction, which run() does first).
      const closes = [...connection.statements].map((name) => message('C', Buffer.from(`S${connection.prefix}${name}\0`)));
      this.queue.push({ connection, messages: [...closes, message('S', Buffer.alloc(0))] });
    }
    void this.run();
  }

  private next(): Unit | undefined {
    if (this.owner) {
      const at = this.queue.findIndex((u) => u.connection === this.owner);
      return at < 0 ? undefined : this.queue.splice(at, 1)[0];
    }
    return this.queue.shift();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (this.failure) return;
        if (this.owner?.closed) {
          // The transaction's client went away: undo it so others can proceed.
          // Not inside runExclusive: exec() takes the same mutex. Nothing
          // else can run meanwhile: this loop is the only one issuing work.
          if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
          this.owner = null;
        }
        const unit = this.next();
        if (!unit) return;
        const refusal = this.checkBeforeUnit?.();
        if (refusal) {
          this.fail('57P01', refusal);
          return;
        }
        try {
          await this.execute(unit);
        } catch {
          // PGlite reports SQL errors in-band; a throw here means the
          // connection's state is unknown, so drop it rather than guess.
          unit.connection.socket.destroy();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async execute(unit: Unit): Promise<void> {
    const { connection } = unit;
    const out: Uint8Array[] = [];
    await this.db.runExclusive(async () => {
      const last = unit.messages.length - 1;
      for (let i = 0; i <= last; i++) {
        await this.db.execProtocolRawStream(unit.messages[i]!, { syncToFs: i === last, onRawData: (data) => out.push(data.slice()) });
      }
      this.owner = this.db.isInTransaction() ? connection : null;
    });
    if (!connection.closed && connection.socket.writable && out.length > 0) connection.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }
}
